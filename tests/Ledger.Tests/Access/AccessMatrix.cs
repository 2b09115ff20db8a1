using System.Net;
using System.Text;
using System.Text.Json;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Access;

/// <summary>
/// The access decision of every /v1 endpoint, for a key holding each single scope. The table is the
/// specification: an endpoint the OpenAPI document lists but the table does not is a failure, so a new
/// endpoint cannot ship without someone deciding (here) who may call it.
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class when_each_scope_calls_each_v1_endpoint(LedgerFixture ledger)
{
    private const string Ingest = "ingest", BillingWrite = "billing:write", CustomerRead = "customer:read",
        FinanceRead = "finance:read", AuditRead = "audit:read", Admin = "admin";

    private static readonly string[] ScopesUnderTest = [Ingest, BillingWrite, CustomerRead, FinanceRead, AuditRead, Admin];

    /// <summary>Which single-scope keys each endpoint admits; every other scope is refused with 403.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["POST /v1/events"] = [Ingest, Admin],
        // customer:read is admitted, and the endpoint answers 404 for other customers' events (see CustomerIsolation)
        ["GET /v1/events/{source}/{id}"] = [AuditRead, FinanceRead, CustomerRead, Admin],
        // customer:read only for the customer its key is bound to (the matrix calls it with that customer)
        ["GET /v1/customers/{customerId}/usage-totals"] = [AuditRead, FinanceRead, CustomerRead, Admin],
        ["PUT /v1/customers/{customerId}"] = [BillingWrite, Admin],
        ["PUT /v1/customers/{customerId}/overrides"] = [BillingWrite, Admin],
        // customer:read only for its own customer
        ["GET /v1/customers/{customerId}/usage"] = [BillingWrite, AuditRead, FinanceRead, CustomerRead, Admin],
        ["GET /v1/usage/unpriced"] = [BillingWrite, FinanceRead, AuditRead, Admin],
        // customer:read only for its own customer, as for usage totals
        ["GET /v1/customers/{customerId}"] = [BillingWrite, AuditRead, FinanceRead, CustomerRead, Admin],
        ["POST /v1/customers/{customerId}/credits"] = [BillingWrite, Admin],
        ["POST /v1/customers/{customerId}/credits/{grantId}/void"] = [BillingWrite, Admin],
        // customer:read only for its own customer: its dashboard shows the balance
        ["GET /v1/customers/{customerId}/credits"] = [BillingWrite, AuditRead, FinanceRead, CustomerRead, Admin],
        ["PUT /v1/price-books/{priceBookId}"] = [BillingWrite, Admin],
        ["GET /v1/price-books/{priceBookId}"] = [BillingWrite, FinanceRead, AuditRead, Admin],
        ["GET /v1/api-keys"] = [Admin],
        ["POST /v1/api-keys"] = [Admin],
        ["DELETE /v1/api-keys/{id}"] = [Admin],
        ["GET /v1/webhooks"] = [BillingWrite, Admin],
        ["GET /v1/webhooks/{id}"] = [BillingWrite, Admin],
        ["PUT /v1/webhooks/{id}"] = [BillingWrite, Admin],
        ["DELETE /v1/webhooks/{id}"] = [BillingWrite, Admin],
        ["GET /v1/webhooks/deliveries"] = [BillingWrite, AuditRead, Admin],
        ["GET /v1/webhooks/deliveries/{id}"] = [BillingWrite, AuditRead, Admin],
        ["POST /v1/webhooks/deliveries/{id}/retry"] = [BillingWrite, Admin],
        // customer:read only for its own customer
        ["GET /v1/customers/{customerId}/balance"] = [BillingWrite, AuditRead, FinanceRead, CustomerRead, Admin],
        // the AI company's backend checks and holds with its ingest or billing key; a customer's key may check its own
        // customer (another customer's id is answered 404) but not reserve credit
        ["POST /v1/authorize"] = [Ingest, BillingWrite, CustomerRead, Admin],
        ["POST /v1/holds"] = [Ingest, BillingWrite, Admin],
        ["POST /v1/holds/{holdId}/settle"] = [Ingest, BillingWrite, Admin],
        ["POST /v1/holds/{holdId}/release"] = [Ingest, BillingWrite, Admin],
        // customer:read admitted; another customer's hold is answered 404
        ["GET /v1/holds/{holdId}"] = [Ingest, BillingWrite, FinanceRead, AuditRead, CustomerRead, Admin],
        ["POST /v1/customers/{customerId}/contracts"] = [BillingWrite, Admin],
        ["POST /v1/contracts/{contractId}/amendments"] = [BillingWrite, Admin],
        ["POST /v1/contracts/{contractId}/end"] = [BillingWrite, Admin],
        // customer:read admitted; another customer's contract is answered 404
        ["GET /v1/contracts/{contractId}"] = [BillingWrite, FinanceRead, AuditRead, CustomerRead, Admin],
        // customer:read only for its own customer
        ["GET /v1/customers/{customerId}/contracts"] = [BillingWrite, FinanceRead, AuditRead, CustomerRead, Admin],
        // customer:read only for its own customer: its dashboard shows the bill so far
        ["GET /v1/customers/{customerId}/invoices/upcoming"] = [BillingWrite, FinanceRead, AuditRead, CustomerRead, Admin],
        ["GET /v1/customers/{customerId}/invoices/upcoming.html"] = [BillingWrite, FinanceRead, AuditRead, CustomerRead, Admin],
        ["POST /v1/customers/{customerId}/periods/{period}/close"] = [BillingWrite, Admin],
        // customer:read only for its own customer
        ["GET /v1/customers/{customerId}/invoices"] = [BillingWrite, FinanceRead, AuditRead, CustomerRead, Admin],
        // customer:read admitted; another customer's invoice is answered 404
        ["GET /v1/invoices/{invoiceId}"] = [BillingWrite, FinanceRead, AuditRead, CustomerRead, Admin],
        ["GET /v1/invoices/{invoiceId}.html"] = [BillingWrite, FinanceRead, AuditRead, CustomerRead, Admin],
        // a customer:read key may take its own invoice's proof; another customer's invoice is answered 404
        ["GET /v1/invoices/{invoiceId}/proof"] = [FinanceRead, AuditRead, CustomerRead, Admin],
        ["GET /v1/audit/verify"] = [AuditRead, Admin],
        ["GET /v1/audit/checkpoints"] = [AuditRead, Admin],
        // an auditor may pin the chain head under the ledger's signature: it changes no fact (docs/audit.md)
        ["POST /v1/audit/checkpoints"] = [AuditRead, Admin],
        ["GET /v1/audit/checkpoints/{id}"] = [AuditRead, Admin],
        // finance answers a customer's billing dispute with it; it holds only that customer's events (docs/audit.md)
        ["GET /v1/audit/proofs"] = [AuditRead, FinanceRead, Admin],
        // a posting run derives entries from recorded facts and changes none: finance (and billing, which issues invoices) may run it
        ["POST /v1/journal/post"] = [BillingWrite, FinanceRead, Admin],
        ["GET /v1/journal/entries"] = [FinanceRead, AuditRead, Admin],
        ["GET /v1/journal/entries/{id}"] = [FinanceRead, AuditRead, Admin],
        ["GET /v1/journal/balances"] = [FinanceRead, AuditRead, Admin],
        ["GET /v1/reports/deferred-revenue"] = [FinanceRead, AuditRead, Admin],
        ["GET /v1/reports/revenue"] = [FinanceRead, AuditRead, Admin],
        ["GET /v1/reports/revenue-waterfall"] = [FinanceRead, AuditRead, Admin],
        ["GET /v1/reports/billed-vs-recognised"] = [FinanceRead, AuditRead, Admin],
        // finance closes the books (the matrix's period placeholder is not a month: answered 400, nothing closed)
        ["POST /v1/accounting/periods/{period}/close"] = [FinanceRead, Admin],
    };

    [Fact]
    public async Task the_table_holds_exactly_the_endpoints_of_the_openapi_document()
    {
        var documented = (await ledger.V1EndpointsAsync()).Select(e => $"{e.Method} {e.Path}").Order().ToList();

        Assert.Equal(Allowed.Keys.Order().ToList(), documented);
    }

    [Fact]
    public void the_scopes_under_test_are_all_the_scopes_a_key_can_have()
    {
        Assert.Equal(ScopesUnderTest.Order(), Ledger.Access.Scopes.All.Order());
    }

    [Fact]
    public async Task a_key_with_one_scope_is_admitted_or_refused_with_403_exactly_as_the_table_says()
    {
        var customer = NewCustomer();
        var keys = new Dictionary<string, string>();
        foreach (var scope in ScopesUnderTest)
            keys[scope] = (await ledger.IssueKeyAsync([scope], customerId: scope == CustomerRead ? customer : null)).Key;

        var endpoints = await ledger.V1EndpointsAsync();
        var wrong = new List<string>();
        foreach (var (method, path) in endpoints)
        {
            var endpoint = $"{method} {path}";
            if (!Allowed.ContainsKey(endpoint))
            {
                wrong.Add($"{endpoint} is in the OpenAPI document but has no row in the access table");
                continue;
            }
            foreach (var scope in ScopesUnderTest)
            {
                using var client = ledger.ClientWithKey(keys[scope]);
                using var request = Request(method, path, customer);
                var response = await client.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var status = (int)response.StatusCode;
                if (Allowed[endpoint].Contains(scope))
                {
                    if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                        wrong.Add($"{endpoint} with {scope}: expected admitted, got {status} {body}");
                }
                else if (response.StatusCode != HttpStatusCode.Forbidden || !RequiredScopesNamed(response, body))
                    wrong.Add($"{endpoint} with {scope}: expected a 403 problem with required_scopes, got {status} {body}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    private static bool RequiredScopesNamed(HttpResponseMessage response, string body)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json") return false;
        var problem = JsonDocument.Parse(body).RootElement;
        return problem.TryGetProperty("required_scopes", out var scopes) && scopes.ValueKind == JsonValueKind.Array &&
            scopes.EnumerateArray().Any(s => s.GetString() == Admin);
    }

    private static HttpRequestMessage Request(string method, string template, string customer)
    {
        var path = AccessSupport.Fill(template, name => (template, name) switch
        {
            (_, "source") => "//matrix",
            (_, "customerId") => customer,
            (_, "priceBookId") => "matrix-book",
            (_, "grantId") => "matrix-grant",
            (_, "holdId") => "matrix-hold",
            (_, "contractId") => "matrix-contract",
            (_, "invoiceId") => "inv-000000",
            (_, "period") => "2020-01-01",
            ("/v1/api-keys/{id}", "id") => "0000000000000000",
            (_, "id") => "m1",
            _ => throw new InvalidOperationException($"The matrix has no placeholder for {{{name}}} in {template}: add one.")
        });
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Content = (method, template) switch
        {
            ("POST", "/v1/events") => new StringContent(
                CloudEvents.Usage(CloudEvents.NewSource("matrix"), "m1", customer).ToJsonString(), Encoding.UTF8, CloudEvents.Single),
            ("POST", "/v1/api-keys") => new StringContent("""{"name":"matrix","scopes":["audit:read"]}""", Encoding.UTF8, "application/json"),
            ("PUT", "/v1/customers/{customerId}") => new StringContent("""{"currency":"USD"}""", Encoding.UTF8, "application/json"),
            ("PUT", "/v1/customers/{customerId}/overrides") => new StringContent(
                """{"effective_from":"2026-01-01T00:00:00Z","discount_percent":"5"}""", Encoding.UTF8, "application/json"),
            ("POST", "/v1/customers/{customerId}/credits") => new StringContent(
                """{"amount":"1.00","kind":"promotional","reference":"matrix-grant"}""", Encoding.UTF8, "application/json"),
            ("POST", "/v1/customers/{customerId}/credits/{grantId}/void") => new StringContent("""{"reason":"matrix"}""", Encoding.UTF8, "application/json"),
            ("PUT", "/v1/price-books/{priceBookId}") => new StringContent(
                """{"currency":"USD","effective_from":"2020-01-01T00:00:00Z","backdate":true,"rules":[{"id":"r","per":1000000,"rates":{"input":"1.00"}}]}""",
                Encoding.UTF8, "application/json"),
            // loopback discard port and a type nobody publishes: the endpoint this creates never sends anything
            ("PUT", "/v1/webhooks/{id}") => new StringContent(
                """{"url":"http://127.0.0.1:9/matrix","types":["matrix.never_published"]}""", Encoding.UTF8, "application/json"),
            ("POST", "/v1/webhooks/deliveries/{id}/retry") => null,
            ("POST", "/v1/authorize") => new StringContent($$"""{"customer":"{{customer}}","estimated_cost":"0.25"}""", Encoding.UTF8, "application/json"),
            ("POST", "/v1/holds") => new StringContent($$"""{"customer":"{{customer}}","amount":"0.25"}""", Encoding.UTF8, "application/json"),
            ("POST", "/v1/holds/{holdId}/settle") => new StringContent("""{"source":"//matrix","id":"m1"}""", Encoding.UTF8, "application/json"),
            ("POST", "/v1/holds/{holdId}/release") => null,
            ("POST", "/v1/customers/{customerId}/contracts") => new StringContent("""{"id":"matrix-contract","starts_at":"2030-01-01T00:00:00Z"}""", Encoding.UTF8, "application/json"),
            ("POST", "/v1/contracts/{contractId}/amendments") => new StringContent("""{"effective_at":"2030-02-01T00:00:00Z"}""", Encoding.UTF8, "application/json"),
            ("POST", "/v1/audit/checkpoints") => null,
            ("POST", "/v1/customers/{customerId}/periods/{period}/close") => null,
            ("POST", "/v1/journal/post") => null,
            ("POST", "/v1/accounting/periods/{period}/close") => null,
            ("POST", "/v1/contracts/{contractId}/end") => new StringContent("""{"ends_at":"2030-06-01T00:00:00Z"}""", Encoding.UTF8, "application/json"),
            ("POST" or "PUT" or "PATCH", _) => throw new InvalidOperationException($"The matrix has no request body for {method} {template}: add one."),
            _ => null
        };
        return request;
    }
}
