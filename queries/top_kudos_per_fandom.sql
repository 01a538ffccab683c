-- title: Most-kudosed works per fandom
-- description: The ten works with the most kudos in each fandom, ranked within the fandom.
select fandom, rank, id, title, kudos, hits, words
from (
    select
        t.name as fandom,
        w.id,
        w.title,
        w.kudos,
        w.hits,
        w.words,
        row_number() over (partition by t.id order by w.kudos desc, w.id) as rank
    from works w
    join work_tags wt on wt.work = w.id
    join tags t on t.id = wt.tag and t.type = 'fandom'
    where w.kudos is not null
)
where rank <= 10
order by fandom, rank
