using System.Buffers;

namespace Ledger.Hosting;

/// <summary>A request body read into pooled memory; dispose to hand the buffer back.</summary>
public readonly struct PooledBody(byte[] buffer, int length) : IDisposable
{
    public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, length);
    public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
}

public static class RequestBody
{
    /// <summary>Reads the whole body, or returns null as soon as it grows past <paramref name="limit"/>.</summary>
    public static async Task<PooledBody?> ReadAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 64 * 1024, limit) + 1);
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length > limit) break;
                var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit + 1));
                buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = bigger;
            }
            var read = await request.Body.ReadAsync(buffer.AsMemory(length), ct);
            if (read == 0) return new PooledBody(buffer, length);
            length += read;
            if (length > limit) break;
        }
        ArrayPool<byte>.Shared.Return(buffer);
        return null;
    }
}
