namespace Ledger.Usage;

/// <summary>Limits and rules of <c>POST /v1/events</c>; bound from configuration section <c>Ledger:Ingest</c>.</summary>
public sealed class IngestOptions
{
    public HashSet<string> AcceptedTypes { get; set; } = ["ai.usage"];
    public int MaxBatchEvents { get; set; } = 10_000;
    public long MaxBodyBytes { get; set; } = 10 * 1024 * 1024;
    public int MaxDataFields { get; set; } = 64;
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);
}
