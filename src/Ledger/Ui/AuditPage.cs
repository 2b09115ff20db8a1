using Ledger.Access;
using Ledger.Audit;
using NodaTime;
using Npgsql;
using static Ledger.Ui.Html;

namespace Ledger.Ui;

/// <summary>
/// <c>/ui/audit</c>: run a verification of the hash chain (the one <c>GET /v1/audit/verify</c> runs), sign a checkpoint, list the
/// signed checkpoints; a broken chain shows a "Broken" badge naming the first broken link.
/// </summary>
public static class AuditPage
{
    [Requires(Scopes.AuditRead)]
    public static async Task<IResult> Get(string? verify, HttpContext http, NpgsqlDataSource db, AuditSigningKey key, CancellationToken ct)
    {
        var result = Html.Empty;
        if (verify is not null)
        {
            var report = await VerifyChain.RunAsync(db, key, null, ct);
            result = Report(report);
        }
        var checkpoints = await Checkpoints.ListAsync(db, 50, ct);
        var rows = checkpoints.Select(c => H($"""
            <tr><td class="n">{c.Id}</td><td class="n">{c.Sequence}</td><td class="n">{c.EventsChained}</td><td>{Format.Time(c.CreatedAt, DateTimeZone.Utc)}</td>
            <td>{Format.Id(c.Head, "chain head")}</td><td><code>{c.KeyId}</code></td></tr>
            """));
        var list = checkpoints.Count == 0
            ? H($"""<p class="empty">No signed checkpoints yet. One is signed daily; sign one now with the button above.</p>""")
            : H($"""
                <div class="scroll"><table id="checkpoints"><caption>Newest first; export one for a third party with <code>GET /v1/audit/checkpoints/{"{id}"}</code></caption>
                <thead><tr><th scope="col" class="n">Id</th><th scope="col" class="n">Up to sequence</th><th scope="col" class="n">Events chained</th>
                <th scope="col">Signed (UTC)</th><th scope="col">Chain head</th><th scope="col">Key</th></tr></thead>
                <tbody>{rows}</tbody></table></div>
                """);
        return Layout.Page(http, "Audit", H($"""
            <p>Every event is hash-chained to the one before it; a signed checkpoint pins the chain's head. Verification recomputes the chain
            from the rows and names the first place where it and the log disagree.</p>
            <div class="actions">
              <form method="get" action="/ui/audit"><input type="hidden" name="verify" value="1"><button type="submit">Run verification</button></form>
              <form method="post" action="/ui/audit/checkpoints"><button type="submit" class="secondary">Sign a checkpoint now</button></form>
            </div>
            {result}
            <section aria-labelledby="checkpoints-h"><h2 id="checkpoints-h">Signed checkpoints</h2>{list}</section>
            """));
    }

    [Requires(Scopes.AuditRead)]
    public static async Task<IResult> Checkpoint(NpgsqlDataSource db, AuditSigningKey key, IClock clock, CancellationToken ct)
    {
        await Checkpoints.CreateAsync(db, key, clock, ct);
        return Results.Redirect("/ui/audit", preserveMethod: false);
    }

    private static Html Report(VerifyReport report)
    {
        if (report.Valid)
            return H($"""
                <section class="verdict ok" aria-labelledby="verdict-h" role="status">
                <h2 id="verdict-h"><span class="badge ok" id="verdict">Verified</span> The log matches its chain</h2>
                <p>{report.Checked} events recomputed and matched, up to sequence {report.Sequence}{(report.Unchained > 0 ? $"; {report.Unchained} newer events are not chained yet (the chainer trails ingest by under a second)" : "")}.</p>
                <p>Chain head {Format.Id(report.Head, "chain head")}</p>
                </section>
                """);
        var broken = report.FirstBroken!;
        var what = broken.Source is not null && broken.Id is not null
            ? H($"""event <a href="/ui/events/{Format.Segment(broken.Source)}/{Format.Segment(broken.Id)}"><code>{broken.Source} {broken.Id}</code></a>""")
            : H($"""stream <code>{broken.Stream ?? broken.Id ?? "?"}</code>""");
        return H($"""
            <section class="verdict broken" aria-labelledby="verdict-h" role="alert">
            <h2 id="verdict-h"><span class="badge broken" id="verdict">Broken</span> First broken link: {what}</h2>
            <dl class="facts">
              <div><dt>Sequence</dt><dd>{broken.Sequence}</dd></div>
              <div><dt>Reason</dt><dd>{broken.Reason}</dd></div>
              <div><dt>Detail</dt><dd>{broken.Detail}</dd></div>
              <div><dt>Checked before it</dt><dd>{report.Checked} events</dd></div>
            </dl>
            <p>Something changed the log outside the ledger. Keep the database as it is, and compare with a backup and the signed checkpoints (docs/audit.md).</p>
            </section>
            """);
    }
}
