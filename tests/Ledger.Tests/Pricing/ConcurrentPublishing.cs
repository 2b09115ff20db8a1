using System.Net;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;
using static Ledger.Tests.Support.RatingProbes;

namespace Ledger.Tests.Pricing;

[Collection(LedgerCollection.Name)]
public sealed class when_versions_of_a_price_book_are_published_at_the_same_time(LedgerFixture ledger)
{
    private static string Version(int month) =>
        $$$"""{"effective_from":"2026-{{{month:00}}}-01T00:00:00Z","backdate":true,"rules":[{"id":"r","rates":{"input":"{{{month}}}.00"}}]}""";

    private async Task<List<HttpResponseMessage>> PublishAllAsync(string book, IEnumerable<int> months) =>
        (await Task.WhenAll(months.Select(m => ledger.Client.PutJsonAsync($"/v1/price-books/{book}", Version(m))))).ToList();

    private async Task<List<int>> VersionsAsync(string book) =>
        (await (await ledger.Client.GetAsync($"/v1/price-books/{book}")).JsonAsync()).GetProperty("versions")
        .EnumerateArray().Select(v => v.GetProperty("version").GetInt32()).ToList();

    private static async Task AssertCreatedOrConflictAsync(IEnumerable<HttpResponseMessage> responses)
    {
        foreach (var response in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
            Assert.Contains("again", (await AssertProblemAsync(response, HttpStatusCode.Conflict)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task each_later_version_is_published_with_its_own_number_or_refused_as_a_409_to_send_again()
    {
        var book = $"book-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.Created, (await ledger.Client.PutJsonAsync($"/v1/price-books/{book}", Version(1))).StatusCode);

        var responses = await PublishAllAsync(book, Enumerable.Range(2, 8));

        await AssertCreatedOrConflictAsync(responses);
        Assert.Equal(Enumerable.Range(1, 1 + responses.Count(r => r.StatusCode == HttpStatusCode.Created)), (await VersionsAsync(book)).Order());
    }

    [Fact]
    public async Task the_first_version_is_published_once_and_the_others_are_refused_as_a_409_to_send_again()
    {
        var book = $"book-{Guid.NewGuid():N}";

        var responses = await PublishAllAsync(book, Enumerable.Range(1, 8));

        await AssertCreatedOrConflictAsync(responses);
        Assert.Equal(Enumerable.Range(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created)), (await VersionsAsync(book)).Order());
    }
}
