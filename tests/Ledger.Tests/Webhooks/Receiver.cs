using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ledger.Tests.Webhooks;

/// <summary>One request as the receiver saw it; <see cref="ReceivedAt"/> is real elapsed time since the receiver started.</summary>
public sealed record ReceivedRequest(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, TimeSpan ReceivedAt, int AnsweredWith);

/// <summary>
/// The AI company's side: a real Kestrel server on a free loopback port that records every request and
/// answers 200, or fails (500, or no answer in time) as often as a test tells it to.
/// </summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _failuresLeft;
    private int _hangsLeft;

    private Receiver(WebApplication app) => _app = app;

    /// <summary>Requests still to answer with 500 (after any hangs).</summary>
    public int FailNext { get => _failuresLeft; set => Interlocked.Exchange(ref _failuresLeft, value); }

    /// <summary>Answer every request with 500.</summary>
    public volatile bool AlwaysFail;

    /// <summary>Requests still to leave unanswered for 3 s (longer than the ledger's 1 s test timeout).</summary>
    public int HangNext { get => _hangsLeft; set => Interlocked.Exchange(ref _hangsLeft, value); }

    public string BaseUrl => _app.Urls.First();

    public string Url(string path = "/hooks") => BaseUrl + path;

    public IReadOnlyList<ReceivedRequest> Requests => _requests.ToList();

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new Receiver(app);
        app.MapPost("/{**path}", receiver.HandleAsync);
        await app.StartAsync();
        return receiver;
    }

    private async Task HandleAsync(HttpContext http)
    {
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body);
        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        if (TakeOne(ref _hangsLeft))
        {
            _requests.Enqueue(new ReceivedRequest(http.Request.Path, headers, body.ToArray(), _clock.Elapsed, 0));
            try { await Task.Delay(TimeSpan.FromSeconds(3), http.RequestAborted); } catch (OperationCanceledException) { }
            return;
        }
        var fail = AlwaysFail || TakeOne(ref _failuresLeft);
        var status = fail ? StatusCodes.Status500InternalServerError : StatusCodes.Status200OK;
        _requests.Enqueue(new ReceivedRequest(http.Request.Path, headers, body.ToArray(), _clock.Elapsed, status));
        http.Response.StatusCode = status;
    }

    private static bool TakeOne(ref int counter)
    {
        int left;
        do
        {
            left = Volatile.Read(ref counter);
            if (left <= 0) return false;
        } while (Interlocked.CompareExchange(ref counter, left - 1, left) != left);
        return true;
    }

    /// <summary>Polls until at least <paramref name="count"/> requests arrived.</summary>
    public async Task<IReadOnlyList<ReceivedRequest>> WaitForAsync(int count, int seconds = 20)
    {
        var deadline = Stopwatch.StartNew();
        while (_requests.Count < count && deadline.Elapsed < TimeSpan.FromSeconds(seconds)) await Task.Delay(25);
        Assert.True(_requests.Count >= count, $"The receiver got {_requests.Count} requests within {seconds} s, expected {count}.");
        return Requests;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
