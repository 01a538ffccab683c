"""Polite fetching and resumable crawl jobs (SPEC section 1: ``crawl`` and ``refresh``).

The pieces, one job each: :mod:`.config` (what a run may do), :mod:`.ratelimit`
(never faster than asked, everyone pauses on a 429), :mod:`.fetcher` (one HTTP
client, retries, redirects kept on the AO3 host, a size cap), :mod:`.robots`,
:mod:`.targets` (what the user asked for), :mod:`.frontier` (the job's state in
the index), :mod:`.walk` (a listing's walk), :mod:`.judge` (what a fetched
work's answer means), :mod:`.job` (the walker, the fetchers and what each step
writes), :mod:`.crawler` (the orchestration the CLI and refresh use), and
refresh's :mod:`.refresh_policy`, :mod:`.refresh_plan` (the dry run) and
:mod:`.refresh`.
"""
