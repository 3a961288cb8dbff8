"""An example hub for a first look: fictional organizations, a case in each state, real OSV
advisories, shared objects at every TLP and a published progress report (``accord demo``)."""
