using System.Net;
using Ledger.Tests.Support;
using NodaTime;
using Npgsql;
using static Ledger.Tests.Credits.CreditProbes;

namespace Ledger.Tests.Credits;

/// <summary>
/// A scheduled expiry is stored with the grant, not held by the process that recorded it. The test runs
/// its own ledger on a database of its own (on the suite's PostgreSQL): the suite's ledger would
/// otherwise run the expiry itself and prove nothing about a restart.
/// </summary>
[Collection(LedgerCollection.Name)]
public sealed class when_the_ledger_restarts_before_a_grant_expires(LedgerFixture ledger)
{
    [Fact]
    public async Task scheduled_expiry_survives_a_restart()
    {
        var database = $"restart_{Guid.NewGuid():N}";
        await using (var create = ledger.Database.CreateCommand($"create database {database}")) await create.ExecuteNonQueryAsync();
        var connectionString = new NpgsqlConnectionStringBuilder(ledger.ConnectionString) { Database = database }.ConnectionString;
        try
        {
            string customer, expiresAt;
            await using (var first = LedgerFixture.CreateFactory(connectionString, ledger.AdminKey, SystemClock.Instance))
            {
                using var client = Client(first);
                await LedgerFixture.WaitUntilReady(client);
                customer = await client.NewCustomerAsync();
                expiresAt = InRealTime(TimeSpan.FromSeconds(3));
                var created = await client.GrantAsync(customer,
                    $$"""{"amount":"25.00","kind":"purchased","reference":"inv-1","expires_at":"{{expiresAt}}","expiry_notices":[]}""");
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }
            Assert.True(DateTimeOffset.UtcNow < DateTimeOffset.Parse(expiresAt), "the first ledger ran until after expires_at; the test proves nothing");
            await using var source = NpgsqlDataSource.Create(connectionString);
            Assert.Equal(["credit_granted"], await StreamEventsAsync(source, GrantStream(customer, "inv-1")));

            await using var second = LedgerFixture.CreateFactory(connectionString, ledger.AdminKey, SystemClock.Instance);
            using var restarted = Client(second);
            await LedgerFixture.WaitUntilReady(restarted);
            await restarted.GrantWhenAsync(customer, "inv-1", "expired", seconds: 20);
            Assert.Equal(["credit_granted", "credit_grant_expired"], await StreamEventsAsync(source, GrantStream(customer, "inv-1")));
        }
        finally
        {
            await using var drop = ledger.Database.CreateCommand($"drop database if exists {database} with (force)");
            await drop.ExecuteNonQueryAsync();
        }
    }

    private HttpClient Client(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> factory)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ledger.AdminKey);
        return client;
    }
}
