"""HTML pages, one module per area: home (landing and in-app messages), portal
(providers), queue (specialists and supervisors), console (phone operators) and
public (the contacts page)."""
