using Microsoft.Extensions.Options;
using Wrapper.Gateway.Affinity;
using Wrapper.Gateway.Configuration;
using Wrapper.Gateway.Correlation;
using Wrapper.Gateway.Errors;
using Wrapper.Gateway.Failover;
using Wrapper.Gateway.Health;
using Wrapper.Gateway.Status;
using Wrapper.Gateway.Subscriptions;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.SessionAffinity;

namespace Wrapper.Gateway;

/// <summary>Composition of the gateway: used by <c>Program.cs</c> and by tests that host it in-process.</summary>
public static class GatewayApp
{
    /// <summary>Where the gateway listens unless <c>--urls</c>, <c>ASPNETCORE_URLS</c> or
    /// <c>ASPNETCORE_HTTP_PORTS</c> say otherwise.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var configuration = builder.Configuration;
        if (string.IsNullOrWhiteSpace(configuration["urls"])
            && string.IsNullOrWhiteSpace(configuration["http_ports"])
            && string.IsNullOrWhiteSpace(configuration["https_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        return builder;
    }

    /// <summary>Registers the gateway from <paramref name="builder"/>'s configuration, builds the app and maps it.</summary>
    /// <exception cref="GatewayConfigurationException">The <c>Gateway</c> section is invalid.</exception>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        builder.Services.AddGateway(builder.Configuration);
        var app = builder.Build();
        app.UseGateway();
        return app;
    }

    /// <summary>The options, YARP with our affinity, passive health and failover, the status endpoint.</summary>
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        var errors = GatewayOptionsValidator.Validate(options);
        if (errors.Count > 0)
        {
            throw new GatewayConfigurationException(errors);
        }

        services.AddSingleton(Options.Create(options));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<BackendLedger>();
        services.AddSingleton<GatewayProblems>();
        services.AddSingleton<IPassiveHealthCheckPolicy, StatusAwarePassiveHealthPolicy>();
        services.AddSingleton<ISessionAffinityPolicy, BackendCookieAffinityPolicy>();
        services.AddProblemDetails();

        var retryStatuses = StatusCodeSet.Parse(options.Failover.RetryStatusCodes);
        services.AddReverseProxy()
            .LoadFromMemory(GatewayProxyConfig.Routes(), GatewayProxyConfig.Clusters(options))
            .AddTransforms(context =>
            {
                context.RequestTransforms.Add(new BackendRequestTransform(context.Services.GetRequiredService<IOptions<GatewayOptions>>()));
                context.ResponseTransforms.Add(new BackendResponseTransform(retryStatuses, context.Services.GetRequiredService<TimeProvider>()));
            });
        return services;
    }

    /// <summary>Correlation id first, then the status endpoint and the proxy pipeline:
    /// subscription key → failover → session affinity → load balancing → passive health → forwarder.</summary>
    public static WebApplication UseGateway(this WebApplication app)
    {
        app.UseMiddleware<CorrelationIdMiddleware>();
        app.UseExceptionHandler();
        app.MapGatewayStatus();
        app.MapReverseProxy(pipeline =>
        {
            pipeline.UseMiddleware<SubscriptionKeyMiddleware>();
            pipeline.UseMiddleware<FailoverMiddleware>();
            pipeline.UseSessionAffinity();
            pipeline.UseLoadBalancing();
            pipeline.UsePassiveHealthChecks();
        });
        return app;
    }
}

/// <summary>The <c>Gateway</c> configuration section is invalid; the message lists every problem.</summary>
public sealed class GatewayConfigurationException : Exception
{
    public GatewayConfigurationException(IReadOnlyList<string> errors)
        : base("Invalid gateway configuration:" + Environment.NewLine + "- " + string.Join(Environment.NewLine + "- ", errors))
    {
        Errors = errors;
    }

    public IReadOnlyList<string> Errors { get; }
}
