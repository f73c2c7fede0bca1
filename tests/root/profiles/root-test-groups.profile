# Layered on root-test: supplementary groups, resolved by name.

[Jail]
SupplementaryGroups=daemon adm
