"""`paybill doctor`: which outside tools this machine has, and which commands need them.

    probes      one function per tool: found or not, its version, where, and how to get it
    needs       which commands need which tool; what is missing for a given command

Probes only look (a version flag, an import, a filesystem check, one short request to the
provider registry when no local copy of the provider exists); they never install anything.
"""
