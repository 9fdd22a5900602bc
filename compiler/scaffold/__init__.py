"""`paybill init`: a platform team's repository, ready to push.

    templates   the files under `files/` (package data), rendered for one platform
    logins      the workflows' cloud logins: one per cloud the spec uses
    create      staging, compiling the new spec in-process, moving the result into place

`files/` mirrors the new repository. A path part `dot-x` is written as `.x` (package data
keeps no hidden files) and a `.j2` file is rendered with jinja2 and written without the
suffix; every other file is copied as it is (the workflows are plain files: their
`${{ }}` expressions are GitHub's, not templates), except that a workflow's AWS login step
becomes the login steps of the clouds the spec uses (`logins`).
"""
