-- title: Fastest-growing works
-- description: Works whose kudos grew fastest between their first and latest fetch (from stats_history; needs at least two fetches with different counters).
with span as (
    select work, min(fetched_at) as first_at, max(fetched_at) as last_at
    from stats_history
    group by work
    having count(*) >= 2
)
select
    w.id,
    w.title,
    f.kudos as kudos_before,
    l.kudos as kudos_now,
    l.kudos - f.kudos as kudos_gained,
    l.hits - f.hits as hits_gained,
    round(julianday(s.last_at) - julianday(s.first_at), 2) as days,
    round((l.kudos - f.kudos) / max(julianday(s.last_at) - julianday(s.first_at), 1.0 / 24), 2)
        as kudos_per_day
from span s
join stats_history f on f.work = s.work and f.fetched_at = s.first_at
join stats_history l on l.work = s.work and l.fetched_at = s.last_at
join works w on w.id = s.work
order by kudos_per_day desc, w.id
limit 50
