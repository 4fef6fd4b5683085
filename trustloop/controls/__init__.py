"""The control map: each pact and each autonomy rule of the policy, the tables that evidence it, and
the tests that guard those tables, with their latest outcome.

- ``dbt_tests``: dbt's data-test outcomes, kept in ``quality.dbt_test_results`` after every dbt step;
- ``control_map``: builds the map from the warehouse and the dbt manifest, and writes it (CSV, HTML).
"""
