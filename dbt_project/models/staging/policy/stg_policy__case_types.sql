-- The policy catalog: one row per case type the policy file lists.
select * from {{ source('raw', 'policy_case_types') }}
