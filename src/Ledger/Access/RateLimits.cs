using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Ledger.Hosting;
using Microsoft.AspNetCore.RateLimiting;

namespace Ledger.Access;

/// <summary>Default per-key limits; bound from <c>Ledger:RateLimits</c>. A key may carry its own.</summary>
public sealed class RateLimitOptions
{
    public int RequestsPerSecond { get; set; } = 200;
    public int EventsPerSecond { get; set; } = 100_000;
}

/// <summary>
/// Per-key token buckets: requests through ASP.NET Core's rate limiter middleware, and usage events
/// for ingestion (a 10,000-event batch costs 10,000 tokens, so limits hold whatever the batch size).
/// Refusals are 429 problems with Retry-After.
/// </summary>
public sealed class RateLimits(Microsoft.Extensions.Options.IOptions<RateLimitOptions> options)
{
    private readonly ConcurrentDictionary<string, TokenBucketRateLimiter> _events = new();

    public static void AddTo(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<RateLimitOptions>(configuration.GetSection("Ledger:RateLimits"));
        services.AddSingleton<RateLimits>();
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                var caller = http.Features.Get<Caller>();
                if (caller is null) return RateLimitPartition.GetNoLimiter("anonymous");
                var perSecond = caller.RateLimit?.RequestsPerSecond
                    ?? http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<RateLimitOptions>>().Value.RequestsPerSecond;
                return RateLimitPartition.GetTokenBucketLimiter($"{caller.KeyId}:{perSecond}", _ => BucketOptions(perSecond, perSecond));
            });
            limiter.OnRejected = async (context, ct) =>
            {
                var seconds = RetryAfter(context.Lease);
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString();
                await Problems.TooManyRequests($"This key is over its request rate limit; retry after {seconds} s.", seconds)
                    .ExecuteAsync(context.HttpContext);
            };
        });
    }

    /// <summary>Takes one token per event; null when allowed, otherwise the seconds to wait.</summary>
    public int? TryTakeEvents(Caller caller, int count, int largestBatch)
    {
        var perSecond = caller.RateLimit?.EventsPerSecond ?? options.Value.EventsPerSecond;
        var bucket = _events.GetOrAdd($"{caller.KeyId}:{perSecond}", _ => Bucket(perSecond, Math.Max(perSecond, largestBatch)));
        using var lease = bucket.AttemptAcquire(count);
        return lease.IsAcquired ? null : RetryAfter(lease);
    }

    private static TokenBucketRateLimiter Bucket(int perSecond, int burst) => new(BucketOptions(perSecond, burst));

    private static TokenBucketRateLimiterOptions BucketOptions(int perSecond, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true
    };

    private static int RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
}
