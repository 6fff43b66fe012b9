namespace Wrapper.Application.Quotas;

/// <summary>How long a token quota lasts before it starts again (calendar periods in UTC, as APIM's
/// <c>llm-token-limit</c> <c>token-quota-period</c>).</summary>
public enum QuotaPeriod
{
    Hourly,
    Daily,
    Monthly,
}

/// <summary>One client's limits; a per-client entry leaves unset what it inherits from <see cref="QuotaOptions.Default"/>.</summary>
public sealed class ClientLimitsOptions
{
    /// <summary>Requests per minute (every metered route: /completion, /chat, /bing-grounding, /agents, MCP tools); 0 = unlimited.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Model tokens (prompt + completion) per minute; 0 = unlimited.</summary>
    public long? TokensPerMinute { get; set; }

    /// <summary>Model tokens per <see cref="QuotaPeriod"/>; 0 = unlimited.</summary>
    public long? TokenQuota { get; set; }

    /// <summary>The period of <see cref="TokenQuota"/>: Hourly, Daily (default) or Monthly.</summary>
    public QuotaPeriod? QuotaPeriod { get; set; }
}

/// <summary>The limits that apply to one client, every value resolved (0 = unlimited).</summary>
public sealed record ClientLimits(int RequestsPerMinute, long TokensPerMinute, long TokenQuota, QuotaPeriod QuotaPeriod)
{
    public static ClientLimits Unlimited { get; } = new(0, 0, 0, Quotas.QuotaPeriod.Daily);

    /// <summary>True when no limit applies: nothing is counted for such a client.</summary>
    public bool IsUnlimited => RequestsPerMinute <= 0 && TokensPerMinute <= 0 && TokenQuota <= 0;

    /// <summary>True when a token limit applies (per minute or per period): only then are a request's tokens counted.</summary>
    public bool LimitsTokens => TokensPerMinute > 0 || TokenQuota > 0;
}

/// <summary>
/// Per-client request and token limits, shared by every instance through Redis when <c>Redis:ConnectionString</c> is set
/// (else counted in this process only). Bound from section <c>Quotas</c>: <c>Quotas:Default:{RequestsPerMinute,
/// TokensPerMinute,TokenQuota,QuotaPeriod}</c> for every client, <c>Quotas:Clients:&lt;name&gt;:...</c> for one client,
/// where the name is an API key's configured name, or the APIM subscription id of a subscriber that a gateway key
/// vouches for. Everything is off (unlimited) unless a limit is configured.
/// </summary>
public sealed class QuotaOptions
{
    public const string SectionName = "Quotas";

    /// <summary>The limits of every client without an entry of its own.</summary>
    public ClientLimitsOptions Default { get; set; } = new();

    /// <summary>Per-client limits by key name or subscriber id; unset values come from <see cref="Default"/>.</summary>
    public Dictionary<string, ClientLimitsOptions> Clients { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Completion tokens reserved for an answer before it is known (the service sends no <c>max_tokens</c>, so
    /// the answer's length is estimated); corrected to the real usage once the answer has come. Default 256.</summary>
    public int EstimatedCompletionTokens { get; set; } = 256;

    /// <summary>True when any limit is configured; otherwise nothing is counted and no header is added.</summary>
    public bool Enabled
    {
        get
        {
            if (!Resolve(Default, null).IsUnlimited)
            {
                return true;
            }

            foreach (var own in Clients.Values)
            {
                if (!Resolve(own, Default).IsUnlimited)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>True when any client has a token limit: only then are prompts counted (with the tokenizer).</summary>
    public bool CountsTokens => Resolve(Default, null).LimitsTokens || Clients.Values.Any(c => Resolve(c, Default).LimitsTokens);

    /// <summary>The limits of the client partition <paramref name="partition"/> (<c>client:&lt;name&gt;</c>,
    /// <c>subscriber:&lt;id&gt;</c> or <c>ip:&lt;address&gt;</c>): its own entry by name or id, else the default.</summary>
    public ClientLimits For(string partition)
    {
        ArgumentNullException.ThrowIfNull(partition);
        var text = partition.AsSpan();
        var separator = text.IndexOf(':');
        var kind = separator < 0 ? ReadOnlySpan<char>.Empty : text[..separator];
        var name = separator < 0 ? text : text[(separator + 1)..];
        return (kind.SequenceEqual("client") || kind.SequenceEqual("subscriber")) && TryGetClient(name, out var own)
            ? Resolve(own, Default)
            : Resolve(Default, null);
    }

    /// <summary>The entry of <paramref name="name"/>, looked up without a string when the dictionary allows it.</summary>
    private bool TryGetClient(ReadOnlySpan<char> name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ClientLimitsOptions? own)
    {
        if (Clients.Count == 0)
        {
            own = null;
            return false;
        }

        return Clients.TryGetAlternateLookup<ReadOnlySpan<char>>(out var lookup)
            ? lookup.TryGetValue(name, out own)
            : Clients.TryGetValue(name.ToString(), out own);
    }

    private static ClientLimits Resolve(ClientLimitsOptions own, ClientLimitsOptions? fallback) => new(
        Math.Max(0, own.RequestsPerMinute ?? fallback?.RequestsPerMinute ?? 0),
        Math.Max(0, own.TokensPerMinute ?? fallback?.TokensPerMinute ?? 0),
        Math.Max(0, own.TokenQuota ?? fallback?.TokenQuota ?? 0),
        own.QuotaPeriod ?? fallback?.QuotaPeriod ?? QuotaPeriod.Daily);
}
