"""Migrations: a tenant moving home (isolation, pool, cloud or region), planned and run.

    planned.py   the migration (`compiler.moves`) of each tenant whose home changes, or
                 whose old home the spec now retires, read from the tenant records
    render.py    the summary's block of each migration
    copy.py      the data: a logical copy per table, rows counted on both sides
    run.py       apply's steps (copy, retire) with a journal of their own, resumable

gitops.md, "Migrations": never an in-place update; the new home beside the old, the data
copied and counted, the switch, and the old home retired only after a second confirmation,
its final snapshot kept.
"""
