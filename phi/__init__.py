"""The Process Health Index scorer: per rep, team and region, only from verified check-ins.

Data flow: :mod:`phi.tables` (columnar input, from records or :mod:`application.phi_inputs`) ->
:mod:`phi.evidence` (what may count as of "now") -> :mod:`phi.components` (one row per lead,
action, account) -> :mod:`phi.score` (rates, targets, weights, composite) ->
:mod:`phi.report` (levels, trend, :mod:`phi.exclusions`, :mod:`phi.warning_signs`) ->
:mod:`phi.report_export` / :mod:`phi.report_html`; :mod:`phi.explain` drills into one rep.
Periods and time zones: :mod:`phi.periods`.
"""
