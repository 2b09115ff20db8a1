using NodaTime;

namespace Ledger.Kernel;

/// <summary>Picking the version of versioned terms (price books, overrides) that applies at an instant.</summary>
public static class InForce
{
    /// <summary>
    /// The item with the latest effective instant not after <paramref name="at"/>; of two effective at
    /// the same instant, the later version. A loop, not a sort: this runs for every rated event.
    /// </summary>
    public static T? At<T>(IEnumerable<T> items, Instant at, Func<T, Instant> effective, Func<T, int> version) where T : class
    {
        T? best = null;
        foreach (var item in items)
            if (effective(item) <= at && (best is null || effective(item) > effective(best) ||
                                          (effective(item) == effective(best) && version(item) > version(best))))
                best = item;
        return best;
    }
}
