using NodaTime;

namespace Ledger.Credits;

/// <summary>A grant as the rating projection keeps it: granted = drawn + expired + voided + remaining.</summary>
public sealed class GrantState
{
    public required string CustomerId { get; init; }
    public required string GrantId { get; init; }
    public required string Currency { get; init; }
    public required CreditKind Kind { get; init; }
    public required int Priority { get; init; }
    public required Instant EffectiveAt { get; init; }
    public Instant? ExpiresAt { get; init; }
    public required long GrantedSeq { get; init; }
    public required decimal Granted { get; init; }
    public decimal Drawn { get; set; }
    public decimal Expired { get; set; }
    public decimal Voided { get; set; }
    public string Status { get; set; } = "active";
    public long? ClosedSeq { get; set; }
    public bool Changed { get; set; }

    public decimal Remaining => Granted - Drawn - Expired - Voided;

    /// <summary>Whether the grant can pay usage in <paramref name="currency"/> drawn at <paramref name="at"/> (recorded time).</summary>
    public bool PaysAt(string? currency, Instant at) =>
        Status == "active" && Remaining > 0 && currency == Currency && EffectiveAt <= at && (ExpiresAt is not { } end || at < end);

    public void Draw(decimal amount) { Drawn += amount; Changed = true; }

    /// <summary>Takes back part of a drawdown (usage re-rated lower). A grant closed since keeps it closed: the amount joins what expired or was voided.</summary>
    public void GiveBack(decimal amount)
    {
        Drawn -= amount;
        if (Status == "expired") Expired += amount;
        else if (Status == "voided") Voided += amount;
        Changed = true;
    }

    /// <summary>Grants drain by priority (lower first), then earliest expiry (none last), then oldest.</summary>
    public static int DrawdownOrder(GrantState a, GrantState b)
    {
        var byPriority = a.Priority.CompareTo(b.Priority);
        if (byPriority != 0) return byPriority;
        var byExpiry = (a.ExpiresAt ?? Instant.MaxValue).CompareTo(b.ExpiresAt ?? Instant.MaxValue);
        return byExpiry != 0 ? byExpiry : a.GrantedSeq.CompareTo(b.GrantedSeq);
    }
}

/// <summary>One customer's credits as of the projection's position: its grants in drawdown order, and its running-out state.</summary>
public sealed class CreditAccount(string customerId)
{
    public string CustomerId { get; } = customerId;
    public List<GrantState> Grants { get; } = [];
    /// <summary>Credit ran out (usage went uncovered) and no top-up since: CreditsExhausted is recorded once per running out.</summary>
    public bool Exhausted { get; set; }
    public string? LastTopUp { get; set; }
    public decimal LastTopUpAmount { get; set; }
    public decimal Held { get; set; }
    public bool Changed { get; set; }

    public GrantState? Find(string grantId) => Grants.Find(g => g.GrantId == grantId);

    /// <summary>Unused credit of grants not closed (whatever their dates).</summary>
    public decimal Remaining => Grants.Where(g => g.Status == "active").Sum(g => g.Remaining);
}
