"""The year-end second distribution (二次分配): a region's pool shared among its leader
terms by work results. `split` and `scoring` are pure functions; `models`, `services`,
`selectors` and `exports` build the lifecycle around them (docs/payroll.md "Year-end")."""
