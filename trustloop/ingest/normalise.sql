-- Normalisers of the landing contract, as DuckDB macros.
-- The loader applies them to every landed value (all text at that point);
-- tests/unit/test_normalise.py checks them against an independent Python
-- reading of the contract, with Hypothesis.

-- Whether a character (its code point, as ord gives it) may be one that tl_trim removes: every code
-- point up to the space, and the others of its set.
create or replace macro tl_edge_space(c) as c <= 32 or c in (133, 160, 8199, 8239, 12288);

-- Surrounding white space of any kind removed: space, tab, LF, VT, FF, CR, NEL, no-break space, figure
-- space, narrow no-break space and ideographic space (written with chr: a raw CR in this file was once
-- turned into a second LF). Most values begin and end with none of them and are returned as they are,
-- without scanning the set at both ends (two thirds of the time of the loader's trimming stage).
create or replace macro tl_trim(x) as
    case
        when tl_edge_space(ord(x)) or tl_edge_space(ord(right(x, 1)))
        then trim(x, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(133) || chr(160) || chr(8199)
                     || chr(8239) || chr(12288))
        else x
    end;

-- A value is missing when its cell is empty or blank (or JSON null, which
-- arrives here as SQL NULL).
create or replace macro tl_blank(x) as nullif(tl_trim(x), '');

-- ISO 8601 timestamp -> naive TIMESTAMP in UTC. With an offset (Z, +hh,
-- +hhmm, +hh:mm; hours 00-23 and minutes 00-59, as RFC 3339 has them: DuckDB's
-- cast alone reads +25:00 and +01:75) it is that instant; without one it is UTC.
-- A space may stand in for the T. Anything else (names of zones, 'epoch',
-- 'now', ...) is NULL.
-- The general reading rewrites the text before DuckDB's cast (a lower-case t, a comma or more than six
-- digits of fraction, a Z); the usual shape, YYYY-MM-DDThh:mm:ss with up to six digits of fraction and
-- Z or +hh:mm, needs none of it (the cast reads Z as +00:00) and is cast as it is: half the time.
create or replace macro tl_ts_general(x) as
    case
        when regexp_full_match(
            tl_trim(x),
            '\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?)?([Zz]|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?'
        )
        then timezone(
            'UTC',
            try_cast(
                regexp_replace(
                    regexp_replace(
                        regexp_replace(tl_trim(x), '^(\d{4}-\d{2}-\d{2})t', '\1T'),
                        '[.,](\d{1,6})\d*', '.\1'
                    ),
                    '[Zz]$', '+00:00'
                ) as timestamptz
            )
        )
    end;

create or replace macro tl_ts(x) as
    case
        when regexp_full_match(tl_trim(x), '\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?')
        then timezone('UTC', try_cast(tl_trim(x) as timestamptz))
        else tl_ts_general(x)
    end;

-- Enum: case-insensitive, surrounding white space ignored; NULL when not allowed.
create or replace macro tl_enum(x, allowed) as
    case when list_contains(allowed, lower(tl_trim(x))) then lower(tl_trim(x)) end;

-- case_type: lower case, runs of white space or hyphens become one '_'. White space of any kind, as
-- Python's str.isspace has it (RE2's \s alone is ASCII: a no-break space inside 'Billing Refund' was
-- kept, and the raw suite's check of the stored value failed the run). NULL when nothing but
-- separators is left ('-', ' _ '): the loader quarantines such a value, as it does an unreadable one.
create or replace macro tl_case_type(x) as
    nullif(trim(regexp_replace(lower(tl_trim(x)), '[\s\x{0B}\x{1C}-\x{1F}\x{85}\p{Z}\-]+', '_', 'g'), '_'), '');

-- Numbers as text -> DOUBLE (NULL when not a finite number: DuckDB's cast reads 1e400 as infinity).
create or replace macro tl_number(x) as
    case
        when regexp_full_match(tl_trim(x), '[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?')
            and isfinite(try_cast(tl_trim(x) as double))
        then try_cast(tl_trim(x) as double)
    end;

-- Whole numbers, also when written as 4.0.
create or replace macro tl_int(x) as
    case when tl_number(x) = floor(tl_number(x)) and abs(tl_number(x)) < 2147483647
        then cast(tl_number(x) as integer) end;

-- Booleans inside JSON attributes: JSON true/false, or the words true/false/1/0/yes/no.
create or replace macro tl_bool(x) as
    case lower(tl_trim(x))
        when 'true' then true when '1' then true when 'yes' then true
        when 'false' then false when '0' then false when 'no' then false
    end;

-- Text -> JSON, NULL when the text is not valid JSON (never raises).
create or replace macro tl_try_json(x) as try_cast(x as json);

-- A JSON object, canonical: keys sorted, minified, a key whose value is null left out (a value is
-- missing when its key is absent or it is null: {"pact_id": null} and {} are the same attributes, and a
-- Parquet struct's absent fields arrive as nulls). NULL when not an object (or when a key repeats). A
-- JSON string that holds an object (a CSV cell written as a JSON string) is unwrapped once. Objects
-- nested inside are kept as written.
create or replace macro tl_object(x) as
    to_json(map_from_entries(list_sort(list_filter(map_entries(coalesce(
        try_cast(try_cast(x as json) as map(varchar, json)),
        try_cast(try_cast(json_extract_string(try_cast(x as json), '$') as json) as map(varchar, json))
    )), lambda e: json_type(e.value) <> 'NULL'))))::varchar;

-- A list: a JSON array of strings (or numbers), or ';'-separated text. Items
-- trimmed, blanks dropped, order kept. NULL for a JSON object, or an array
-- holding an object or an array: not a list of ids.
create or replace macro tl_list(x) as
    list_filter(
        list_transform(
            case json_type(tl_try_json(tl_trim(x)))
                when 'ARRAY' then
                    case when not list_has_any(json_type(tl_try_json(tl_trim(x)), '$[*]'), ['OBJECT', 'ARRAY'])
                        then json_extract_string(tl_try_json(tl_trim(x)), '$[*]')::varchar[] end
                when 'OBJECT' then null
                else string_split(tl_trim(x), ';')
            end,
            lambda v: tl_trim(v)
        ),
        lambda v: v is not null and v <> ''
    );

-- Extra keys of a JSON object (those not in the contract), as a JSON object,
-- in their order. Keys and values are paired by position ('$.*' lists the
-- values in the order of json_keys), not looked up by a path: a key holding
-- a double quote or nothing at all cannot be written as one. The keys must
-- be unique (the reader quarantines a line that repeats one).
create or replace macro tl_json_extras(j, known) as
    to_json(map_from_entries(list_transform(
        list_filter(list_zip(json_keys(j), json_extract(j, '$.*')), lambda e: not list_contains(known, e[1])),
        lambda e: {'k': e[1], 'v': e[2]}
    )))::varchar;

-- A JSON value as text: strings unquoted, objects and arrays as JSON text.
create or replace macro tl_json_text(j, path) as
    case
        when json_type(j, path) in ('OBJECT', 'ARRAY') then json_extract(j, path)::varchar
        else json_extract_string(j, path)
    end;
