"""The third pipeline: billing news becomes pull requests on the spec.

    webhook (raw body) -> verify -> inbox (exactly once) -> refetch -> decide (ladder, period
    end, migration?) -> edit spec/tenants/<t>.yaml -> compile -> commit on billing/<t> -> PR

It writes only the spec (and the output a compile makes of it), so plan, apply and drift treat
its changes like any hand edit. Nothing here is imported by the compiler or the operate
commands; the heavy libraries (provider SDKs, the HTTP server, ruamel, psycopg) are imported
by the modules that use them, which only `paybill billing ...` loads.
"""
