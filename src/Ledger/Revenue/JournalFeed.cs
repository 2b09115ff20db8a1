using Microsoft.Extensions.Options;

namespace Ledger.Revenue;

/// <summary>
/// Runs a posting run every <c>Ledger:Journal:PostInterval</c> (default 5 s; zero turns it off). A timer on stored state, like
/// the audit chainer: each run starts from the cursor the last one recorded, so a restart or a crash loses or doubles nothing.
/// </summary>
public sealed class JournalFeed(JournalPoster poster, IOptions<JournalOptions> options, ILogger<JournalFeed> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var interval = options.Value.PostInterval;
        if (interval <= TimeSpan.Zero) return;
        await Task.Yield();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var run = await poster.PostAsync(ct);
                if (run.Entries > 0) logger.LogInformation("Journal run {Run}: {Entries} entries up to position {Position}", run.RunId, run.Entries, run.Position);
                await Task.Delay(interval, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "A journal posting run failed; the next run posts from the last recorded cursor");
                try { await Task.Delay(interval, ct); } catch (OperationCanceledException) { return; }
            }
        }
    }
}
