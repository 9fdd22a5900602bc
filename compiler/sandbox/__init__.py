"""The local sandbox: an AWS emulator and a PostgreSQL on 127.0.0.1, as processes we own.

    emulator    moto's server with this project's gaps handled (`gaps`), started and stopped
                by PID; the provider override that points the AWS provider at it
    postgres    initdb + postmaster on a free port; a database per SQL target on demand
    process     start detached, record the PID, stop by that PID only

Importing this package imports neither moto nor psycopg; the modules do.
"""
