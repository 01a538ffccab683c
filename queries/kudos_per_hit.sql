-- title: Kudos-per-hit leaders
-- description: Works with at least 100 hits ranked by kudos per hit, a rough measure of how many readers liked what they opened.
select
    id,
    title,
    kudos,
    hits,
    round(1.0 * kudos / hits, 4) as kudos_per_hit
from works
where hits >= 100 and kudos is not null
order by kudos_per_hit desc, id
limit 100
