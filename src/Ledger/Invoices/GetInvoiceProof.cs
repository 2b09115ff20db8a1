using System.Text.Json;
using Ledger.Access;
using Ledger.Audit;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Invoices;

/// <summary>
/// <c>GET /v1/invoices/{id}/proof</c>: the customer's proof bundle for an issued invoice — the invoice as issued, the
/// usage events it billed with every field of their rows, and the hashes that tie them to a signed checkpoint.
/// tools/ProofCheck checks it offline, including that each usage line's quantity is the sum of the events it billed.
/// </summary>
public static class GetInvoiceProof
{
    [WolverineGet("/v1/invoices/{invoiceId}/proof")]
    [Requires(Scopes.AuditRead, Scopes.FinanceRead, CustomerOwned = true)]
    [Tags("Invoices"), EndpointSummary("An issued invoice's proof bundle: its lines, the events behind them, and the hashes tying them to a signed checkpoint")]
    [EndpointDescription("Optional checkpoint=<id> (default: the earliest checkpoint covering the invoice's last event; 409 if none does yet: " +
        "POST /v1/audit/checkpoints first). Check offline: dotnet run --project tools/ProofCheck -- bundle.json (docs/audit.md).")]
    [ProducesResponseType(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static async Task<IResult> Get(string invoiceId, [FromQuery(Name = "checkpoint")] string? checkpointText, HttpContext http,
        IQuerySession session, NpgsqlDataSource db, CancellationToken ct)
    {
        invoiceId = RouteValue.Decode(invoiceId).ToLowerInvariant();
        var issued = await session.LoadAsync<IssuedInvoice>(invoiceId, ct);
        if (issued is null || !Caller.Of(http).MayTouch(issued.CustomerId))
            return Problems.NotFound($"No invoice \"{invoiceId}\". GET /v1/customers/{{id}}/invoices lists a customer's invoices.");
        long? named = null;
        if (checkpointText is not null)
        {
            if (!long.TryParse(checkpointText, out var id))
                return Problems.BadRequest("Invalid checkpoint", "checkpoint must be a checkpoint id (GET /v1/audit/checkpoints).", "checkpoint");
            named = id;
        }
        return await GetProofBundle.StreamAsync(db, GetProofBundle.Invoiced(issued.CustomerId, issued.Seq), named, async (json, snapshot) =>
        {
            json.WritePropertyName("invoice");
            JsonSerializer.Serialize(json, issued.Invoice, GetProofBundle.JsonOptions);
            json.WriteStartArray("first_billed");
            foreach (var seq in await FirstBilledAsync(snapshot.Item1, snapshot.Item2, issued.Seq, ct)) json.WriteNumberValue(seq);
            json.WriteEndArray();
        }, ct);
    }

    /// <summary>The usage events the invoice billed for the first time (the others it billed are adjustments of earlier invoices).</summary>
    private static async Task<List<long>> FirstBilledAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long invoiceSeq, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            select b.seq from ledger.billed_usage b
            where b.invoice_seq = $1 and not exists (select 1 from ledger.billed_usage p where p.seq = b.seq and p.invoice_seq < $1)
            order by b.seq
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = invoiceSeq });
        var seqs = new List<long>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) seqs.Add(reader.GetInt64(0));
        return seqs;
    }
}
