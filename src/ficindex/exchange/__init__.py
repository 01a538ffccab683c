"""Getting a corpus out of ficindex and into other tools, and combining indexes.

* :mod:`ficindex.exchange.record_schema`: the JSON Schema of the record (SPEC section 2);
* :mod:`ficindex.exchange.parquet`: typed columnar files for pandas, R, DuckDB, Spark;
* :mod:`ficindex.exchange.merge`: indexes crawled on several machines, into one;
* :mod:`ficindex.exchange.warc`: raw pages to and from web archives.

pyarrow and warcio are optional: the modules that need them import them on use
and say which extra to install when they are missing.
"""
