-- title: Most prolific authors
-- description: Creators (user and pseud) with the most indexed works, with their total words and kudos.
select
    a.user,
    a.pseud,
    count(*) as works,
    sum(w.words) as words,
    sum(w.kudos) as kudos
from authors a
join work_authors wa on wa.author = a.id
join works w on w.id = wa.work
group by a.id
order by works desc, kudos desc, a.user
limit 50
