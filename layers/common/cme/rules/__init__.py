"""The credit rules: pure functions from a programme and a delegate's facts to credits.

`judge` decides whether a fact is accepted (the API and `cme statement` use the same
functions), `evidence` decides which sessions a delegate demonstrably took part in
(a policy chosen by the programme), and `credits` turns credited sessions into a
capped, exact `CreditStatement`.
"""
