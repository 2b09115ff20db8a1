using JasperFx.Events;
using Marten;

namespace Ledger.Hosting;

/// <summary>Saving events appended to a stream fetched for writing (<c>FetchForWriting</c>).</summary>
public static class StreamWrites
{
    /// <summary>
    /// Saves, or answers a 409 problem when another request created or changed the stream since it
    /// was fetched: nothing of this request is recorded and the client sends it again.
    /// </summary>
    public static async Task<IResult?> SaveOrConflictAsync(IDocumentSession session, string title, string detail, CancellationToken ct)
    {
        try
        {
            await session.SaveChangesAsync(ct);
            return null;
        }
        catch (Exception ex) when (ex is EventStreamUnexpectedMaxEventIdException or Marten.Exceptions.ExistingStreamIdCollisionException)
        {
            return Problems.Conflict(title, detail);
        }
    }
}
