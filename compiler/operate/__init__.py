"""The second pipeline: operate what the compiler produced, reading only `generated/`.

    sources     where a compiled output is read from: a folder, or a git revision
    changeset   which nodes differ between a base output and a head output
    ...

Nothing here reads the spec: what was reviewed in the pull request (the committed output) is
exactly what is planned and applied.
"""
