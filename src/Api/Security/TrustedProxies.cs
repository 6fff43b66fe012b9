using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Wrapper.Api.Security;

/// <summary>
/// Which reverse proxies (a gateway, APIM, an ingress) may name the client in <c>X-Forwarded-For</c>
/// (<c>ForwardedHeaders:KnownProxies:N</c> = an IP address, <c>ForwardedHeaders:KnownNetworks:N</c> = a CIDR range,
/// <c>ForwardedHeaders:ForwardLimit</c> = how many proxies in a row, default 1). Off by default: without any trusted
/// proxy the header is ignored, so a client cannot pick its own rate-limit partition by sending it. When a request comes
/// from a trusted proxy, the client address is the one the proxy appended, and the per-client limits use it.
/// </summary>
public static class TrustedProxies
{
    public const string SectionName = "ForwardedHeaders";

    /// <summary>True when at least one proxy or network is trusted.</summary>
    public static bool AreConfigured(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Values(configuration, "KnownProxies").Length > 0 || Values(configuration, "KnownNetworks").Length > 0;
    }

    /// <summary>Sets <paramref name="options"/> to trust exactly the configured proxies (never the framework's default
    /// of loopback). Throws at start with the key's name when a value is not an IP address or a CIDR range.</summary>
    public static void Configure(ForwardedHeadersOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        var proxies = Values(configuration, "KnownProxies");
        for (var i = 0; i < proxies.Length; i++)
        {
            if (!IPAddress.TryParse(proxies[i], out var address))
            {
                throw new InvalidOperationException($"{SectionName}:KnownProxies:{i} must be an IP address.");
            }

            options.KnownProxies.Add(address);
        }

        var networks = Values(configuration, "KnownNetworks");
        for (var i = 0; i < networks.Length; i++)
        {
            if (!System.Net.IPNetwork.TryParse(networks[i], out var network))
            {
                throw new InvalidOperationException($"{SectionName}:KnownNetworks:{i} must be a CIDR range such as 10.0.0.0/16.");
            }

            options.KnownIPNetworks.Add(network);
        }

        var limit = configuration[$"{SectionName}:ForwardLimit"];
        if (!string.IsNullOrWhiteSpace(limit))
        {
            options.ForwardLimit = int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 10
                ? n
                : throw new InvalidOperationException($"{SectionName}:ForwardLimit must be a whole number from 1 to 10.");
        }
    }

    private static string[] Values(IConfiguration configuration, string key) =>
        (configuration.GetSection($"{SectionName}:{key}").Get<string[]>() ?? [])
        .Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v.Trim()).ToArray();
}
