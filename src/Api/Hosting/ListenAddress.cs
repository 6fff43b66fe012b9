using System.Globalization;

namespace Wrapper.Api.Hosting;

/// <summary>Where the server listens. Like the original service, <c>http://0.0.0.0:8000</c> unless told otherwise:
/// <c>--urls</c>/<c>ASPNETCORE_URLS</c>/<c>URLS</c> win, then <c>PORT</c>, then
/// <c>ASPNETCORE_HTTP_PORTS</c>/<c>ASPNETCORE_HTTPS_PORTS</c> (set by the official container images).</summary>
public static class ListenAddress
{
    public const int DefaultPort = 8000;
    public const string PortKey = "PORT";

    /// <summary>The URL to listen on, or null to leave ASP.NET Core's own settings in charge.</summary>
    public static string? Choose(IConfiguration configuration)
    {
        if (!string.IsNullOrWhiteSpace(configuration["urls"]))
        {
            return null;
        }

        if (configuration[PortKey] is { } text && !string.IsNullOrWhiteSpace(text))
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw new InvalidOperationException($"PORT must be a TCP port number between 1 and 65535, got '{text}'.");
            }

            return $"http://0.0.0.0:{port}";
        }

        if (!string.IsNullOrWhiteSpace(configuration["http_ports"]) || !string.IsNullOrWhiteSpace(configuration["https_ports"]))
        {
            return null;
        }

        return $"http://0.0.0.0:{DefaultPort}";
    }

    public static IWebHostBuilder UseDefaultListenAddress(this IWebHostBuilder webHost, IConfiguration configuration)
    {
        if (Choose(configuration) is { } url)
        {
            webHost.UseUrls(url);
        }

        return webHost;
    }
}
