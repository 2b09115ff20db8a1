using System.Reflection;
using Marten;
using Npgsql;

namespace Ledger.Hosting;

/// <summary>
/// Applies the schema at start-up: Marten's (event store, documents, projections) first, then the
/// ledger's own SQL from migrations/ledger (embedded in the assembly), in file-name order.
/// It runs before the host starts: the async daemon and Wolverine's message store also create
/// schema objects at start-up, and two schema migrations racing on a new database fail.
/// </summary>
public sealed class LedgerSchema(IDocumentStore store, NpgsqlDataSource db, ILogger<LedgerSchema> logger)
{
    public bool Applied { get; private set; }

    public async Task ApplyAsync(CancellationToken ct = default)
    {
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        foreach (var (name, sql) in LedgerMigrations())
        {
            // No command timeout: a new index on a large table (0008_trace.sql on millions of rows) takes longer than the default
            // 30 s, and start-up must wait for it rather than fail. On a database that has it, each statement is a no-op.
            await using var cmd = db.CreateCommand(sql);
            cmd.CommandTimeout = 0;
            await cmd.ExecuteNonQueryAsync(ct);
            logger.LogDebug("Applied {Migration}", name);
        }
        Applied = true;
    }

    public static IEnumerable<(string Name, string Sql)> LedgerMigrations()
    {
        var assembly = Assembly.GetExecutingAssembly();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".sql")).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            yield return (name, reader.ReadToEnd());
        }
    }
}
