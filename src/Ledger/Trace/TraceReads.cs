using Npgsql;

namespace Ledger.Trace;

/// <summary>
/// The connections trace pages read events on: a pool of their own, apart from the ledger's. A trace page reads its events in
/// parallel parts (<see cref="TracedUsageReader"/>), so a burst of auditors could otherwise take the connections that ingestion,
/// rating and invoicing need; here they wait for one of at most <see cref="MaxConnections"/> instead.
/// </summary>
public sealed class TraceReads(string connectionString) : IAsyncDisposable
{
    public const int MaxConnections = 16;

    public NpgsqlDataSource Source { get; } = NpgsqlDataSource.Create(
        new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = MaxConnections, ApplicationName = "ledger-trace" }.ConnectionString);

    public ValueTask DisposeAsync() => Source.DisposeAsync();
}
