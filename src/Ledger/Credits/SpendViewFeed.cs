using System.Diagnostics;
using Npgsql;

namespace Ledger.Credits;

/// <summary>
/// Keeps the <see cref="SpendView"/> current: LISTENs on <see cref="CreditStore.Channel"/> (the rating
/// projection notifies in the transaction of each batch that changed credit accounts) and reads what
/// changed; also every <c>Ledger:SpendView:Poll</c> (default 1 s: terms changes, which do not notify),
/// everything every <c>Ledger:SpendView:FullReload</c> (default 5 min), and after every reconnect,
/// since notifications sent while the connection was down are lost.
/// </summary>
public sealed class SpendViewFeed(SpendViewLoader loader, NpgsqlDataSource db, IConfiguration configuration, ILogger<SpendViewFeed> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var poll = configuration.GetValue("Ledger:SpendView:Poll", TimeSpan.FromSeconds(1));
        var fullReload = configuration.GetValue("Ledger:SpendView:FullReload", TimeSpan.FromMinutes(5));
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // One connection held for as long as it works: LISTEN belongs to the session.
                await using var conn = await db.OpenConnectionAsync(ct);
                await using (var listen = new NpgsqlCommand($"listen {CreditStore.Channel}", conn)) await listen.ExecuteNonQueryAsync(ct);
                await loader.LoadAllAsync(ct);
                var sinceFull = Stopwatch.StartNew();
                while (true)
                {
                    await conn.WaitAsync(poll, ct); // a notification, or the poll interval
                    if (sinceFull.Elapsed < fullReload) await loader.RefreshAsync(ct);
                    else
                    {
                        await loader.LoadAllAsync(ct);
                        sinceFull.Restart();
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "The spend-check view lost its feed; reconnecting in 1 s (checks answer from the last figures meanwhile)");
                try { await Task.Delay(TimeSpan.FromSeconds(1), ct); } catch (OperationCanceledException) { return; }
            }
        }
    }
}
