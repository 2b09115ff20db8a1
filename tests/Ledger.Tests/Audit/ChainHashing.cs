using System.Security.Cryptography;
using Ledger.Audit;

namespace Ledger.Tests.Audit;

/// <summary>The chain's arithmetic, without a database: what docs/audit.md promises a re-implementer.</summary>
public sealed class when_rows_are_chained
{
    private static readonly ChainRow Row = new(42, Guid.Parse("0b5c4b1e-8c36-4f7e-9d2a-5f0e2a9b7c11"), "stream-1", 1, "usage_recorded",
        1_767_225_600_123_456, "*DEFAULT*", """{"a": 1}""", null);

    [Fact]
    public void the_first_hash_is_sha256_of_32_zero_bytes_and_the_sha256_of_the_length_prefixed_fields()
    {
        var expected = new List<byte>();
        foreach (var field in new[] { "42", "0b5c4b1e-8c36-4f7e-9d2a-5f0e2a9b7c11", "stream-1", "1", "usage_recorded", "1767225600123456", "*DEFAULT*", """{"a": 1}""" })
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(field);
            expected.AddRange([(byte)(bytes.Length >> 24), (byte)(bytes.Length >> 16), (byte)(bytes.Length >> 8), (byte)bytes.Length]);
            expected.AddRange(bytes);
        }
        expected.AddRange([0xFF, 0xFF, 0xFF, 0xFF]); // null headers

        var leaf = SHA256.HashData(expected.ToArray());
        Assert.Equal(leaf, ChainHash.Leaf(Row));
        Assert.Equal(SHA256.HashData([.. new byte[32], .. leaf]), ChainHash.Next(ChainHash.Genesis, Row));
    }

    [Fact]
    public void moving_a_character_across_a_field_boundary_changes_the_hash()
    {
        var shifted = Row with { StreamId = "stream-1u", Type = "sage_recorded" };

        Assert.NotEqual(ChainHash.Canonical(Row), ChainHash.Canonical(shifted));
        Assert.NotEqual(ChainHash.Next(ChainHash.Genesis, Row), ChainHash.Next(ChainHash.Genesis, shifted));
    }

    [Fact]
    public void a_null_field_and_an_empty_field_hash_differently()
    {
        Assert.NotEqual(ChainHash.Next(ChainHash.Genesis, Row with { Headers = "" }), ChainHash.Next(ChainHash.Genesis, Row));
    }

    [Fact]
    public void each_hash_depends_on_the_one_before()
    {
        var first = ChainHash.Next(ChainHash.Genesis, Row);
        var second = Row with { Seq = 43 };

        Assert.NotEqual(ChainHash.Next(first, second), ChainHash.Next(ChainHash.Genesis, second));
    }
}
