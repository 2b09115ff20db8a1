namespace Ledger.Audit;

/// <summary>Reading <see cref="ChainRow"/>s from PostgreSQL; apart from the pure rule so tools/ProofCheck needs no Npgsql.</summary>
public static partial class ChainHash
{
    /// <summary>The columns of <see cref="ChainRow"/> in order, as SQL over <c>ledger.mt_events e</c>.</summary>
    public const string RowColumns = """
        e.seq_id, e.id, e.stream_id, e.version, e.type,
        (extract(epoch from e.timestamp) * 1000000)::bigint, e.tenant_id, e.data::text, e.headers::text
        """;

    public static ChainRow Read(Npgsql.NpgsqlDataReader reader, int first = 0) => new(
        reader.GetInt64(first), reader.GetGuid(first + 1), reader.IsDBNull(first + 2) ? null : reader.GetString(first + 2),
        reader.GetInt64(first + 3), reader.GetString(first + 4), reader.GetInt64(first + 5),
        reader.IsDBNull(first + 6) ? null : reader.GetString(first + 6), reader.GetString(first + 7),
        reader.IsDBNull(first + 8) ? null : reader.GetString(first + 8));
}
