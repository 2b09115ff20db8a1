using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ledger.Tests.Support;
using static Ledger.Tests.Support.LedgerProbes;

namespace Ledger.Tests.Audit;

/// <summary>A checkpoint signs the chain head; its export lets a third party check it with nothing but the public key.</summary>
[Collection(LedgerCollection.Name)]
public sealed class when_a_checkpoint_is_taken(LedgerFixture ledger)
{
    [Fact]
    public async Task its_signature_verifies_with_the_exported_public_key_and_fails_after_a_flipped_byte()
    {
        var export = await TakeAndExportAsync();
        var signedText = export.GetProperty("signed_text").GetString()!;
        var signature = Convert.FromBase64String(export.GetProperty("checkpoint").GetProperty("signature").GetString()!);
        using var key = ECDsa.Create();
        key.ImportFromPem(export.GetProperty("public_key").GetString()!);

        Assert.True(Verify(key, Encoding.UTF8.GetBytes(signedText), signature));

        var flippedSignature = (byte[])signature.Clone();
        flippedSignature[^5] ^= 0x01;
        Assert.False(Verify(key, Encoding.UTF8.GetBytes(signedText), flippedSignature));
        var flippedText = Encoding.UTF8.GetBytes(signedText);
        flippedText[signedText.IndexOf("head: ", StringComparison.Ordinal) + 6] ^= 0x01;
        Assert.False(Verify(key, flippedText, signature));
    }

    [Fact]
    public async Task after_a_key_rotation_checkpoints_of_the_earlier_key_verify_only_while_that_key_is_listed_as_trusted()
    {
        var export = await TakeAndExportAsync();
        var signedBy = export.GetProperty("public_key").GetString()!;
        using var replacement = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var newKey = replacement.ExportSubjectPublicKeyInfoPem();

        await using var conn = await ledger.Database.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        var untrusted = await Ledger.Audit.Verifier.VerifyAsync(conn, tx, [newKey], null, default);
        Assert.False(untrusted.Valid);
        Assert.Equal("checkpoint signature invalid", untrusted.FirstBroken!.Reason);
        var trusted = await Ledger.Audit.Verifier.VerifyAsync(conn, tx, [newKey, signedBy], null, default);
        Assert.True(trusted.Valid, System.Text.Json.JsonSerializer.Serialize(trusted));
    }

    [Fact]
    public async Task the_signed_text_states_the_checkpoint_fields_and_the_key_id_is_the_public_key_hash()
    {
        var export = await TakeAndExportAsync();
        var checkpoint = export.GetProperty("checkpoint");
        using var key = ECDsa.Create();
        key.ImportFromPem(export.GetProperty("public_key").GetString()!);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16], checkpoint.GetProperty("key_id").GetString());
        Assert.Equal(
            $"ledger-audit-checkpoint-v1\nsequence: {checkpoint.GetProperty("sequence").GetInt64()}\nhead: {checkpoint.GetProperty("head").GetString()}\n" +
            $"events_chained: {checkpoint.GetProperty("events_chained").GetInt64()}\ncreated_at: {checkpoint.GetProperty("created_at").GetString()}\n" +
            $"key_id: {checkpoint.GetProperty("key_id").GetString()}\n",
            export.GetProperty("signed_text").GetString());
        Assert.Matches("^[0-9a-f]{64}$", checkpoint.GetProperty("head").GetString()!);
    }

    [Fact]
    public async Task it_is_listed_and_verify_can_start_from_it()
    {
        var source = CloudEvents.NewSource("audit");
        await AssertReportAsync(await ledger.Client.PostBatchAsync([CloudEvents.Usage(source, "e1")]));
        await AuditProbes.WaitForChainAsync(ledger.Database, (await AuditProbes.SequencesAsync(ledger.Database, source))[^1]);
        var export = await TakeAndExportAsync();
        var id = export.GetProperty("checkpoint").GetProperty("id").GetInt64();

        var listed = JsonDocument.Parse(await ledger.Client.GetStringAsync("/v1/audit/checkpoints")).RootElement;
        Assert.Contains(listed.EnumerateArray(), c => c.GetProperty("id").GetInt64() == id);
        var report = await ledger.Client.VerifyAsync($"?from_checkpoint={id}");
        Assert.True(report.GetProperty("valid").GetBoolean(), report.ToString());
        Assert.Equal(id, report.GetProperty("from_checkpoint").GetInt64());
        Assert.True(report.GetProperty("sequence").GetInt64() >= export.GetProperty("checkpoint").GetProperty("sequence").GetInt64());
    }

    [Fact]
    public async Task verify_from_an_unknown_checkpoint_is_a_404_problem()
    {
        await AssertProblemAsync(await ledger.Client.GetAsync("/v1/audit/verify?from_checkpoint=999999999"), HttpStatusCode.NotFound);
    }

    private async Task<JsonElement> TakeAndExportAsync()
    {
        var created = await ledger.Client.PostAsync("/v1/audit/checkpoints", null);
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"{(int)created.StatusCode}: {body}");
        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
        return JsonDocument.Parse(await ledger.Client.GetStringAsync($"/v1/audit/checkpoints/{id}")).RootElement.Clone();
    }

    private static bool Verify(ECDsa key, byte[] data, byte[] signature)
    {
        try { return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence); }
        catch (CryptographicException) { return false; }
    }
}
