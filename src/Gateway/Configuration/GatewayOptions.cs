using System.Text.RegularExpressions;

namespace Wrapper.Gateway.Configuration;

/// <summary>Section <c>Gateway</c>: the backends and the timings of affinity, health and failover.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>The API instances behind the gateway. Required: at least one.</summary>
    public List<BackendOptions> Backends { get; set; } = [];

    /// <summary>How backends are picked among the healthy ones when no cookie pins the client:
    /// <c>RoundRobin</c> (default), <c>PowerOfTwoChoices</c>, <c>LeastRequests</c>, <c>Random</c>, <c>FirstAlphabetical</c>.</summary>
    public string LoadBalancingPolicy { get; set; } = "RoundRobin";

    /// <summary>Longest wait for a backend's response headers, and between two reads of its body (default 100 s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    public AffinityOptions Affinity { get; set; } = new();

    public PassiveHealthOptions PassiveHealth { get; set; } = new();

    public ActiveHealthOptions ActiveHealth { get; set; } = new();

    public FailoverOptions Failover { get; set; } = new();

    /// <summary>The callers admitted, as API Management admits its subscribers: each presents its key in
    /// <c>Ocp-Apim-Subscription-Key</c> (or <c>api-key</c>), and the backends learn who it is from
    /// <c>X-APIM-Subscription-Id</c> / <c>X-APIM-Product-Id</c>. Empty (default): the gateway is open and passes the
    /// callers' own credentials through.</summary>
    public List<SubscriberOptions> Subscribers { get; set; } = [];

    /// <summary>The key the gateway presents to the backends in <c>api-key</c> (instead of the caller's), configured on
    /// the API as a gateway's key (<c>Auth:ApiKeys:N:Gateway=true</c>, or <c>API_KEYS=name[gateway]:key</c>) so that
    /// the API believes the subscriber headers. Needs <see cref="Subscribers"/>: an open gateway would lend it to anyone.</summary>
    public string? BackendApiKey { get; set; }
}

/// <summary>One caller of the gateway, like an API Management subscription.</summary>
public sealed class SubscriberOptions
{
    /// <summary>The subscription id sent to the backends in <c>X-APIM-Subscription-Id</c> (the API's rate-limit
    /// partition <c>subscriber:&lt;id&gt;</c>): 1-256 letters, digits or <c>-_.~:@/+=</c>.</summary>
    public string Id { get; set; } = "";

    /// <summary>The subscription key the caller presents (at least 16 characters).</summary>
    public string Key { get; set; } = "";

    /// <summary>The product id sent in <c>X-APIM-Product-Id</c>, if any (same characters as <see cref="Id"/>).</summary>
    public string? Product { get; set; }
}

/// <summary>One API instance.</summary>
public sealed class BackendOptions
{
    /// <summary>Its name: the value of the affinity cookie and of <c>X-Served-By-Instance</c>
    /// (letters, digits, <c>.</c>, <c>_</c>, <c>-</c>; at most 64 characters).</summary>
    public string Name { get; set; } = "";

    /// <summary>Its base address, e.g. <c>http://127.0.0.1:8001/</c>.</summary>
    public string Address { get; set; } = "";
}

/// <summary>Cookie session affinity with APIM's <c>APIM-Backend-Instance</c> semantics: the cookie names the
/// backend in clear text; a client whose backend is unhealthy is moved to a healthy one and re-pinned.</summary>
public sealed class AffinityOptions
{
    public const string DefaultCookieName = "APIM-Backend-Instance";

    public bool Enabled { get; set; } = true;

    public string CookieName { get; set; } = DefaultCookieName;
}

/// <summary>Passive health: a backend that answers one of <see cref="UnhealthyStatusCodes"/>, or cannot be
/// reached, leaves the pool at once, for its <c>Retry-After</c> when it sent one, else for
/// <see cref="ReactivationPeriod"/>.</summary>
public sealed class PassiveHealthOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Status codes that mark a backend unhealthy: single codes and ranges, comma-separated
    /// (default <c>401,429,500-599</c>).</summary>
    public string UnhealthyStatusCodes { get; set; } = "401,429,500-599";

    /// <summary>When true (default), a 401 that carries a <c>WWW-Authenticate</c> challenge does not count: it asks
    /// the <em>client</em> for credentials (the API's own key check answers so), and counting it would let any
    /// unauthenticated caller empty the pool. A 401 without a challenge (the backend's own credentials were refused)
    /// still counts.</summary>
    public bool IgnoreClientChallenges { get; set; } = true;

    /// <summary>How long a backend stays out of the pool when its answer carried no <c>Retry-After</c> (default 30 s).</summary>
    public TimeSpan ReactivationPeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest <c>Retry-After</c> honoured; longer ones are cut to this (default 5 min).</summary>
    public TimeSpan MaxReactivationPeriod { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Active health: YARP probes every backend's <see cref="Path"/>; a failing probe takes it out of the
/// pool, a passing one brings it back.</summary>
public sealed class ActiveHealthOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Probe path (default <c>/health/ready</c>: 200 when the instance and its upstreams are ready).</summary>
    public string Path { get; set; } = "/health/ready";

    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Failed probes in a row that mark a backend unhealthy (default 1).</summary>
    public int ConsecutiveFailures { get; set; } = 1;
}

/// <summary>Failover: a request whose backend failed before any byte reached the client is sent to another
/// healthy backend.</summary>
public sealed class FailoverOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Statuses that are retried on another backend (default <c>429,500-599</c>; connection errors always are).</summary>
    public string RetryStatusCodes { get; set; } = "429,500-599";

    /// <summary>Most backends tried for one request; 0 (default) = every backend once.</summary>
    public int MaxAttempts { get; set; }

    /// <summary>Largest request body kept in memory (or a temporary file) to be replayed; a larger one is sent
    /// once, without failover (default 1 MiB).</summary>
    public long MaxReplayBodyBytes { get; set; } = 1024 * 1024;
}

/// <summary>Checks <see cref="GatewayOptions"/> and lists every problem, for a clear start-up failure.</summary>
public static partial class GatewayOptionsValidator
{
    public static IReadOnlyList<string> Validate(GatewayOptions options)
    {
        var errors = new List<string>();
        if (options.Backends.Count == 0)
        {
            errors.Add("Gateway:Backends is empty: configure at least one backend, e.g. Gateway__Backends__0__Name=api-1 and Gateway__Backends__0__Address=http://127.0.0.1:8000/.");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Backends.Count; i++)
        {
            var backend = options.Backends[i];
            if (!BackendName().IsMatch(backend.Name ?? ""))
            {
                errors.Add($"Gateway:Backends:{i}:Name '{backend.Name}' must be 1-64 letters, digits, '.', '_' or '-'.");
            }
            else if (!names.Add(backend.Name!))
            {
                errors.Add($"Gateway:Backends:{i}:Name '{backend.Name}' is used twice.");
            }

            if (!Uri.TryCreate(backend.Address, UriKind.Absolute, out var address)
                || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
                || !string.IsNullOrEmpty(address.Query) || !string.IsNullOrEmpty(address.Fragment))
            {
                errors.Add($"Gateway:Backends:{i}:Address '{backend.Address}' must be an absolute http or https URL without query.");
            }
        }

        if (options.Affinity.Enabled && !CookieName().IsMatch(options.Affinity.CookieName ?? ""))
        {
            errors.Add($"Gateway:Affinity:CookieName '{options.Affinity.CookieName}' is not a valid cookie name.");
        }

        CheckSubscribers(errors, options);
        CheckStatusCodes(errors, "Gateway:PassiveHealth:UnhealthyStatusCodes", options.PassiveHealth.UnhealthyStatusCodes);
        CheckStatusCodes(errors, "Gateway:Failover:RetryStatusCodes", options.Failover.RetryStatusCodes);
        CheckPositive(errors, "Gateway:PassiveHealth:ReactivationPeriod", options.PassiveHealth.ReactivationPeriod);
        CheckPositive(errors, "Gateway:PassiveHealth:MaxReactivationPeriod", options.PassiveHealth.MaxReactivationPeriod);
        CheckPositive(errors, "Gateway:ActiveHealth:Interval", options.ActiveHealth.Interval);
        CheckPositive(errors, "Gateway:ActiveHealth:Timeout", options.ActiveHealth.Timeout);
        CheckPositive(errors, "Gateway:RequestTimeout", options.RequestTimeout);
        if (options.ActiveHealth.Enabled && (string.IsNullOrEmpty(options.ActiveHealth.Path) || options.ActiveHealth.Path[0] != '/'))
        {
            errors.Add($"Gateway:ActiveHealth:Path '{options.ActiveHealth.Path}' must start with '/'.");
        }

        if (options.ActiveHealth.ConsecutiveFailures < 1)
        {
            errors.Add("Gateway:ActiveHealth:ConsecutiveFailures must be at least 1.");
        }

        if (options.Failover.MaxAttempts < 0)
        {
            errors.Add("Gateway:Failover:MaxAttempts must be 0 (every backend) or more.");
        }

        if (options.Failover.MaxReplayBodyBytes < 0)
        {
            errors.Add("Gateway:Failover:MaxReplayBodyBytes must not be negative.");
        }

        return errors;
    }

    private static void CheckSubscribers(List<string> errors, GatewayOptions options)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Subscribers.Count; i++)
        {
            var subscriber = options.Subscribers[i];
            if (!SubscriberId().IsMatch(subscriber.Id ?? ""))
            {
                errors.Add($"Gateway:Subscribers:{i}:Id '{subscriber.Id}' must be 1-256 letters, digits or -_.~:@/+=.");
            }
            else if (!ids.Add(subscriber.Id!))
            {
                errors.Add($"Gateway:Subscribers:{i}:Id '{subscriber.Id}' is used twice.");
            }

            if ((subscriber.Key ?? "").Trim().Length < MinSubscriptionKeyLength)
            {
                errors.Add($"Gateway:Subscribers:{i}:Key (subscriber '{subscriber.Id}') must be at least {MinSubscriptionKeyLength} characters.");
            }
            else if (!keys.Add(subscriber.Key!.Trim()))
            {
                errors.Add($"Gateway:Subscribers:{i}:Key (subscriber '{subscriber.Id}') is the key of another subscriber.");
            }

            if (!string.IsNullOrEmpty(subscriber.Product) && !SubscriberId().IsMatch(subscriber.Product))
            {
                errors.Add($"Gateway:Subscribers:{i}:Product '{subscriber.Product}' must be 1-256 letters, digits or -_.~:@/+=.");
            }
        }

        if (!string.IsNullOrEmpty(options.BackendApiKey) && options.Subscribers.Count == 0)
        {
            errors.Add("Gateway:BackendApiKey is set but Gateway:Subscribers is empty: every caller would reach the backends with the gateway's key. Configure the subscribers (Gateway__Subscribers__0__Id, Gateway__Subscribers__0__Key) or remove the key.");
        }
    }

    /// <summary>Shortest subscription key accepted.</summary>
    public const int MinSubscriptionKeyLength = 16;

    private static void CheckStatusCodes(List<string> errors, string key, string value)
    {
        if (!StatusCodeSet.TryParse(value, out _))
        {
            errors.Add($"{key} '{value}' must list status codes (100-599) or ranges such as 500-599, comma-separated.");
        }
    }

    private static void CheckPositive(List<string> errors, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{key} must be positive, got {value}.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex BackendName();

    [GeneratedRegex("^[A-Za-z0-9._~:@/+=-]{1,256}$")]
    private static partial Regex SubscriberId();

    // RFC 6265 token characters.
    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$")]
    private static partial Regex CookieName();
}
