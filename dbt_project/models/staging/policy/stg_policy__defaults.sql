-- The policy defaults (one row), for case types the catalog does not list.
select * from {{ source('raw', 'policy_defaults') }}
