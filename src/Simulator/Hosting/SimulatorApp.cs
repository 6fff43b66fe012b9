using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Wrapper.Simulator.Agents;
using Wrapper.Simulator.Control;
using Wrapper.Simulator.Foundry;
using Wrapper.Simulator.OpenAI;

namespace Wrapper.Simulator;

/// <summary>Builds the simulator: the Azure OpenAI routes, the Agent Service routes and the <c>/_simulator</c> controls.</summary>
public static class SimulatorApp
{
    /// <summary>Where the standalone simulator listens when no URL is configured.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>
    /// Builds the standalone simulator from <paramref name="args"/> and configuration (section <c>Simulator</c>),
    /// then <paramref name="configure"/>. Without <c>--urls</c> (or <c>ASPNETCORE_URLS</c>) it listens on
    /// <see cref="DefaultUrl"/>; an https URL is served with an ephemeral self-signed certificate.
    /// </summary>
    public static WebApplication Build(string[] args, Action<SimulatorOptions>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        var options = new SimulatorOptions();
        BindOptions(builder.Configuration.GetSection(SimulatorOptions.SectionName), options);
        configure?.Invoke(options);

        var certificate = ConfigureStandaloneEndpoints(builder);
        var app = Build(builder, options);
        if (certificate is not null)
        {
            PublishCertificate(app, certificate, options.CertificatePemPath);
        }

        app.Lifetime.ApplicationStarted.Register(() => LogStart(app, options));
        return app;
    }

    /// <summary>Registers the simulator's services on <paramref name="builder"/>, builds the app and maps its routes.</summary>
    internal static WebApplication Build(WebApplicationBuilder builder, SimulatorOptions options)
    {
        var services = builder.Services;
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<FaultInjector>();
        services.AddSingleton<RequestCounters>();
        services.AddSingleton<TokenCounter>();
        services.AddSingleton<AnswerGenerator>();
        services.AddSingleton<DeploymentRateLimiter>();
        services.AddProblemDetails();
        services.AddAgentService();
        services.AddFoundryAgentService();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.Use(CountRequestsAsync);
        app.MapChatCompletions();
        app.MapModels();
        app.MapUnservedOpenAIRoutes();
        app.MapSimulatorControl();
        app.MapAgentService();
        app.MapFoundryAgentService();
        return app;
    }

    /// <summary>
    /// Binds <paramref name="section"/> to <paramref name="options"/>. A configured deployment list replaces the
    /// default one (the binder would append to it); <c>Simulator__Deployments=a,b</c> is accepted too.
    /// </summary>
    internal static void BindOptions(IConfigurationSection section, SimulatorOptions options)
    {
        section.Bind(options);
        var deployments = section.GetSection(nameof(SimulatorOptions.Deployments));
        var items = deployments.GetChildren().Select(c => c.Value).OfType<string>().ToList();
        if (items.Count == 0 && deployments.Value is { } list)
        {
            items = [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }

        if (items.Count > 0)
        {
            options.Deployments = items;
        }
    }

    private static X509Certificate2? ConfigureStandaloneEndpoints(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var urls = configuration[WebHostDefaults.ServerUrlsKey] ?? string.Empty;
        var endpointUrls = configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"] ?? string.Empty).ToList();
        var hasPorts = !string.IsNullOrEmpty(configuration["http_ports"]) || !string.IsNullOrEmpty(configuration["https_ports"]);
        if (urls.Length == 0 && endpointUrls.Count == 0 && !hasPorts)
        {
            builder.WebHost.UseUrls(DefaultUrl);
            return null;
        }

        var wantsHttps = urls.Contains("https://", StringComparison.OrdinalIgnoreCase)
            || endpointUrls.Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            || !string.IsNullOrEmpty(configuration["https_ports"]);
        if (!wantsHttps)
        {
            return null;
        }

        var certificate = SelfSignedCertificate.Create();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
        return certificate;
    }

    private static void PublishCertificate(WebApplication app, X509Certificate2 certificate, string? pemPath)
    {
        var thumbprint = SelfSignedCertificate.Sha256Thumbprint(certificate);
        if (pemPath is { Length: > 0 })
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(pemPath));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            File.WriteAllText(pemPath, certificate.ExportCertificatePem() + Environment.NewLine);
            app.Logger.LogInformation(
                "HTTPS uses an ephemeral self-signed certificate (CN=localhost), SHA-256 thumbprint {Thumbprint}; its PEM is in {PemPath}",
                thumbprint,
                Path.GetFullPath(pemPath));
        }
        else
        {
            app.Logger.LogInformation(
                "HTTPS uses an ephemeral self-signed certificate (CN=localhost), SHA-256 thumbprint {Thumbprint}; set Simulator:CertificatePemPath to write its PEM",
                thumbprint);
        }

        app.Lifetime.ApplicationStopped.Register(certificate.Dispose);
    }

    private static void LogStart(WebApplication app, SimulatorOptions options)
    {
        var key = options.ApiKey;
        var keyHint = key.Length <= 4 ? new string('*', key.Length) : string.Concat(key.AsSpan(0, 4), "***");
        app.Logger.LogInformation(
            "Azure OpenAI simulator listening on {Urls}: POST /openai/deployments/{{deployment}}/chat/completions?api-version=... "
            + "for deployments {Deployments}; api-key {KeyHint}, bearer tokens {BearerTokens}; tokens per minute {TokensPerMinute} (0 = unlimited); "
            + "latency per token {LatencyPerTokenMs} ms; faults via POST /_simulator/faults",
            string.Join(", ", app.Urls),
            string.Join(", ", options.Deployments),
            keyHint,
            options.AllowBearerTokens ? "accepted" : "refused",
            options.TokensPerMinute,
            options.LatencyPerTokenMs);
    }

    // Counts every simulated request by route and outcome; the control routes are not counted.
    private static async Task CountRequestsAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Request.Path.StartsWithSegments(ControlEndpoints.Prefix, StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }

        var failed = false;
        try
        {
            await next(context);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            var pattern = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unmatched)";
            var dropped = context.Items.ContainsKey(FaultResponder.DroppedItemKey)
                || (context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted);
            var outcome = dropped
                ? RequestCounters.Dropped
                : failed ? "500" : context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.RequestServices.GetRequiredService<RequestCounters>().Record($"{context.Request.Method} {pattern}", outcome);
        }
    }
}
