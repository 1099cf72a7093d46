"""The Process Health Index: lead activation, action closure and customer penetration, from
verified check-ins only."""
