from django.core.management.base import BaseCommand, CommandError

from gridapp.models import Region
from open311 import keys


class Command(BaseCommand):
    help = ("Make an Open311 API key for an integration (the 12345 hotline, a district's app) "
            "and print it on the last line: it is shown only this once.")

    def add_arguments(self, parser):
        parser.add_argument("name", help="who the key is for, e.g. 12345-hotline")
        parser.add_argument("--region", help="a region code: the key files and reads only "
                                             "under it")

    def handle(self, *args, name: str, region: str | None = None, **options):
        scope = None
        if region:
            scope = Region.objects.filter(code=region).first()
            if scope is None:
                raise CommandError(f"no region with code {region}")
        if keys.ApiKey.objects.filter(name=name).exists():
            raise CommandError(f"a key named {name!r} exists; revoke it in the admin or "
                               "choose another name")
        key, raw = keys.create_key(name, region=scope)
        self.stdout.write(f"Open311 key {key.name!r} (prefix {key.prefix}), shown only now:")
        self.stdout.write(raw)
