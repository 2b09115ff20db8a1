using System.Net;
using System.Text;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Access;

[Collection(LedgerCollection.Name)]
public sealed class when_a_v1_endpoint_is_called_without_an_authorization_header(LedgerFixture ledger)
{
    [Fact]
    public async Task every_endpoint_of_the_openapi_document_is_a_401_problem_naming_the_header_with_a_bearer_challenge()
    {
        var endpoints = await ledger.V1EndpointsAsync();
        using var anonymous = ledger.AnonymousClient();

        foreach (var (method, template) in endpoints)
        {
            var path = AccessSupport.Fill(template, name => name == "customerId" ? NewCustomer() : "x");
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT" or "PATCH")
                request.Content = new StringContent("{}", Encoding.UTF8, "application/json");

            var response = await anonymous.SendAsync(request);

            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, field: "Authorization");
            Assert.True(response.Headers.WwwAuthenticate.Any(c => c.Scheme == "Bearer"),
                $"{method} {template}: no 'WWW-Authenticate: Bearer' header (got '{response.Headers.WwwAuthenticate}')");
        }
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_a_v1_endpoint_is_called_with_a_credential_that_is_not_a_valid_key(LedgerFixture ledger)
{
    [Theory]
    [InlineData("well-formed key never issued")]
    [InlineData("issued key id with a wrong secret")]
    [InlineData("malformed token")]
    [InlineData("key id in upper case")]
    [InlineData("empty bearer token")]
    [InlineData("basic scheme")]
    [InlineData("key without a scheme")]
    public async Task it_is_a_401_problem_naming_the_authorization_header(string credential)
    {
        var adminId = ledger.AdminKey["ldg_".Length..("ldg_".Length + 16)];
        var value = credential switch
        {
            "well-formed key never issued" => "Bearer " + Ledger.Access.ApiKeySecrets.Generate().Key,
            "issued key id with a wrong secret" => $"Bearer ldg_{adminId}_{new string('A', 43)}",
            "malformed token" => "Bearer not-a-ledger-key",
            "key id in upper case" => "Bearer " + ledger.AdminKey.Replace(adminId, adminId.ToUpperInvariant()),
            "empty bearer token" => "Bearer ",
            "basic scheme" => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + ledger.AdminKey)),
            "key without a scheme" => ledger.AdminKey,
            _ => throw new ArgumentOutOfRangeException(nameof(credential))
        };
        using var anonymous = ledger.AnonymousClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/api-keys");
        Assert.True(request.Headers.TryAddWithoutValidation("Authorization", value));

        var response = await anonymous.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, field: "Authorization");
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_a_public_endpoint_is_called_without_a_key(LedgerFixture ledger)
{
    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/openapi/v1.json")]
    public async Task it_answers_200(string path)
    {
        using var anonymous = ledger.AnonymousClient();

        var response = await anonymous.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

[Collection(LedgerCollection.Name)]
public sealed class when_a_v1_path_is_called_with_a_method_it_does_not_have(LedgerFixture ledger)
{
    /// <summary>
    /// The access middleware lets routing answer for requests that match no endpoint ("let routing
    /// answer 404/405"); a wrong method on an existing path must be a 405, not a 403 about a missing access rule.
    /// </summary>
    [Fact]
    public async Task an_admin_gets_405_method_not_allowed()
    {
        var response = await ledger.Client.PutAsync("/v1/events", new StringContent("{}", Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.MethodNotAllowed,
            $"expected 405, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task a_path_that_does_not_exist_is_a_404_for_an_admin()
    {
        var response = await ledger.Client.GetAsync("/v1/no-such-thing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
