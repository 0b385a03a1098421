#!/usr/bin/env python3
"""Turns the statements one server connection logged for two payments into pgbench scripts.

Used by scripts/payment-sql-floor.sh (read it first). Reads a PostgreSQL log written with
`log_statement = 'all'` and the default Debian `log_line_prefix` ('%m [%p] %q%u@%d '),
finds on one backend the bench's mix of payments made one after another (two book transfers
and an fps payment, each created and submitted), and writes, for pgbench -M prepared:
  sequential.sql  the statements as logged, one after another;
  pipelined.sql   the same, with each transaction's trailing inserts and stored answers sent
                  as one pipeline, COMMIT on its own (what the server's write-behind does);
  functions.sql   each transaction as one call of a PL/pgSQL function (functions-ddl.sql):
                  the statements without their round trips, what a server that moved its
                  write path into the database could at best reach.
Each run of a script is the three payments. New rows get fresh ids from a random number per
run; the two accounts become pgbench client N's pair in the table floor_accounts (n, a, b);
everything else (organization, user, API key, payee) is the logged database's own, so the
scripts run against the database they were logged in.

usage: payment_sql_floor.py LOG DATABASE OUTDIR
"""

import re
import sys

NEW_ID = re.compile(r"'(pm|ps|tr|le|pa|ev)\.[A-Za-z0-9_-]{22}'")
IDEMPOTENCY_KEY = re.compile(r"'bench-[0-9]+-[0-9]+-[0-9]+-[cs]'")
ACCOUNT = re.compile(r"'ba\.[A-Za-z0-9_-]{22}'")
# account_seq is unique per account: each posting of a run gets its own, from the run's random
# number times this (more than the postings a run makes) plus the posting's place in the run.
POSTINGS_PER_RUN = 100


def entries(log_path, database):
    """(pid, sql, [parameter literals]) for every statement the database's backends logged."""
    out, last = [], {}
    prefix = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] \S+@" + re.escape(database) + r" (LOG|DETAIL):  (.*)$")
    with open(log_path, encoding="utf-8", errors="replace") as log:
        for line in log:
            m = prefix.match(line.rstrip("\n"))
            if not m:
                continue
            pid, kind, rest = m.groups()
            if kind == "LOG":
                s = re.match(r"(?:execute [^:]+|statement): (.*)$", rest)
                if s:
                    last[pid] = [pid, s.group(1), []]
                    out.append(last[pid])
            elif pid in last and rest.startswith("parameters: "):
                last[pid][2] = re.findall(r"\$\d+ = (NULL|'(?:[^']|'')*')", rest)
    return out


def transactions(statements):
    """Splits one backend's statements into (statements before BEGIN, statements inside)."""
    txs, outside, inside = [], [], None
    for sql, params in statements:
        if sql == "BEGIN":
            inside = []
        elif sql == "COMMIT":
            if inside is not None:
                txs.append((outside, inside))
            outside, inside = [], None
        elif inside is None:
            outside.append((sql, params))
        else:
            inside.append((sql, params))
    return txs


def is_payment_insert(sql):
    return sql.startswith('INSERT INTO "payments"')


# The bench's mix: two book transfers (there and back) for every fps payment.
MIX = ["griffin-bank-account", "griffin-bank-account", "uk-domestic"]


def find_payments(txs):
    """Index of the first create of a run of transactions that makes the payments of MIX in
    order, each create followed by its submission."""

    def creditor(tx):
        for sql, params in tx[1]:
            if is_payment_insert(sql):
                return params[6]
        return ""

    def submits(tx):
        return any(sql.startswith('INSERT INTO "submissions"') for sql, _ in tx[1])

    span = 2 * len(MIX)
    for i in range(len(txs) - span + 1):
        run = txs[i : i + span]
        creates, submissions = run[0::2], run[1::2]
        if all(
            kind in creditor(c) and not submits(c) and submits(s)
            for kind, c, s in zip(MIX, creates, submissions)
        ):
            return i
    return None


def kind(sql):
    if sql.startswith("SELECT"):
        return "read"
    if sql.startswith('INSERT INTO "idempotency_keys"'):
        return "claim"
    if sql.startswith('UPDATE "payments"') or sql.startswith('UPDATE "bank_accounts"'):
        return "update"
    return "write-behind"


def main():
    log_path, database, outdir = sys.argv[1:4]
    by_pid = {}
    for pid, sql, params in entries(log_path, database):
        by_pid.setdefault(pid, []).append((sql, params))
    for statements in by_pid.values():
        txs = transactions(statements)
        i = find_payments(txs)
        if i is not None:
            break
    else:
        sys.exit("no backend logged the bench's mix of payments in a row")
    txs = txs[i : i + 2 * len(MIX)]

    ids, accounts, postings = {}, [], [0]

    def literal(value):
        if ACCOUNT.fullmatch(value):
            if value not in accounts:
                accounts.append(value)
            column = "ab"[accounts.index(value)]
            return f"(SELECT {column} FROM floor_accounts WHERE n = :client_id)"
        m = NEW_ID.fullmatch(value)
        if m:
            n = ids.setdefault(value, len(ids))
            return f"('{m.group(1)}.' || :r::text || '-{n}')"
        if IDEMPOTENCY_KEY.fullmatch(value):
            n = ids.setdefault(value, len(ids))
            return f"('bench-' || :r::text || '-{n}')"
        return value

    def render(sql, params):
        params = list(params)
        if sql.startswith('INSERT INTO "postings"'):
            # Rows are bound one after another, each with every column.
            columns = re.match(r'INSERT INTO "postings" \(([^)]*)\)', sql).group(1).split(", ")
            seq = columns.index('"account_seq"')
            for k in range(seq, len(params), len(columns)):
                params[k] = f"(:r::bigint % 1000000000 * {POSTINGS_PER_RUN} + {postings[0]})"
                postings[0] += 1
            if postings[0] >= POSTINGS_PER_RUN:
                sys.exit("more postings in a run than POSTINGS_PER_RUN")
        values = [literal(p) for p in params]
        return re.sub(r"\$(\d+)", lambda m: values[int(m.group(1)) - 1], sql) + ";"

    rendered = [
        ([render(*s) for s in outside], [(kind(s[0]), render(*s)) for s in inside])
        for outside, inside in txs
    ]
    if len(accounts) > 2:
        sys.exit(f"the payments touch {len(accounts)} accounts, expected 2")

    header = ["\\set r random(1, 9000000000000000)"]
    sequential, pipelined, functions, ddl = list(header), list(header), list(header), []
    for n, (outside, inside) in enumerate(rendered, start=1):
        body = [sql for _, sql in inside]
        sequential += outside + ["BEGIN;"] + body + ["COMMIT;"]
        # The trailing run of write-behind statements is what the server pipelines.
        tail = len(inside)
        while tail > 0 and inside[tail - 1][0] == "write-behind":
            tail -= 1
        pipelined += outside + ["BEGIN;"] + body[:tail]
        pipelined += ["\\startpipeline"] + body[tail:] + ["\\endpipeline", "COMMIT;"]
        plpgsql = []
        for sql in body:
            sql = sql.replace(":r::bigint", "r").replace(":r::text", "r::text")
            sql = sql.replace(":client_id", "client")
            if sql.startswith("SELECT "):
                sql = "PERFORM " + sql[len("SELECT ") :]
            elif " RETURNING " in sql:
                sql = sql[:-1] + " INTO answer;"
            plpgsql.append("  " + sql)
        ddl.append(
            f"CREATE OR REPLACE FUNCTION floor_tx{n}(r bigint, client int) RETURNS void\n"
            "LANGUAGE plpgsql AS $fn$\nDECLARE answer record;\nBEGIN\n"
            + "\n".join(plpgsql)
            + "\nEND $fn$;"
        )
        functions += outside + [f"SELECT floor_tx{n}(:r, :client_id);"]
    for name, lines in [
        ("sequential.sql", sequential),
        ("pipelined.sql", pipelined),
        ("functions.sql", functions),
        ("functions-ddl.sql", ddl),
    ]:
        with open(f"{outdir}/{name}", "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
    with open(f"{outdir}/accounts.txt", "w", encoding="utf-8") as out:
        out.write("\n".join(a.strip("'") for a in accounts) + "\n")
    statements = sum(len(o) + len(i) + 2 for o, i in rendered)
    print(f"{len(MIX)} payments: {statements} statements", file=sys.stderr)


if __name__ == "__main__":
    main()
