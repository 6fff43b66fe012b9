using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Wrapper.Api.Controllers;
using Wrapper.Api.Correlation;
using Wrapper.Api.Errors;
using Wrapper.Api.Health;
using Wrapper.Api.Hosting;
using Wrapper.Api.Mcp;
using Wrapper.Api.Security;
using Wrapper.Api.OpenAICompatible;
using Wrapper.Api.OpenApi;
using Wrapper.Api.Simulation;
using Wrapper.Api.Telemetry;

namespace Wrapper.Api;

public static class DependencyInjection
{
    /// <summary>Controllers, JSON, ProblemDetails, the exception handler and the OpenAPI document.</summary>
    public static IServiceCollection AddApi(this IServiceCollection services, IConfiguration configuration)
    {
        services
            .AddControllers(options => options.Conventions.Add(new ApiErrorsConvention()))
            .AddJsonOptions(options =>
            {
                // Reader messages name CLR types and offsets: ValidationProblems describes errors itself.
                options.AllowInputFormatterExceptionMessages = false;
                options.JsonSerializerOptions.AllowDuplicateProperties = false;
                options.JsonSerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
                options.JsonSerializerOptions.ReadCommentHandling = JsonCommentHandling.Disallow;
                options.JsonSerializerOptions.AllowTrailingCommas = false;
            })
            .ConfigureApiBehaviorOptions(options => options.InvalidModelStateResponseFactory = ValidationProblems.FromModelState);

        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            problem.Instance ??= context.HttpContext.Request.Path;
            if (context.HttpContext.GetCorrelationId() is { } correlationId)
            {
                problem.Extensions["correlationId"] = correlationId;
            }

            problem.Extensions.TryAdd("traceId", System.Diagnostics.Activity.Current?.Id ?? context.HttpContext.TraceIdentifier);
        });
        // The OpenAI-compatible routes answer errors in OpenAI's shape: their writer is asked first.
        services.Insert(0, ServiceDescriptor.Singleton<IProblemDetailsWriter, OpenAICompatible.OpenAIErrorWriter>());
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddHealthEndpoints();
        services.AddTelemetry(configuration);
        services.AddApiSecurity(configuration);
        services.AddHttpContextAccessor();
        services.AddScoped<Wrapper.Application.Common.Interfaces.ICurrentClient, HttpCurrentClient>();
        services.AddMcpTools();

        services.TryAddSingleton(SimulatedSides.From);
        services.AddOpenApiDocument(configuration);
        return services;
    }

    /// <summary>The middleware, outermost first, as the calls below run: instance id header, request metrics,
    /// correlation id, request log, exception handler (ProblemDetails), status-code pages, simulated-mode header (when a
    /// side is simulated), the OpenAPI document and Swagger UI (before the key check: they are public, see
    /// docs/mcp-and-security.md), security (trusted-proxy forwarded headers, CORS, authentication, authorization, client
    /// partition, rate limiter), body limit; then the endpoints: health probes, controllers, the OpenAI-compatible chat completions, MCP.</summary>
    public static WebApplication UseApi(this WebApplication app)
    {
        app.UseMiddleware<InstanceIdMiddleware>();
        app.UseTelemetryEnrichment();
        app.UseMiddleware<CorrelationIdMiddleware>();
        app.UseRequestLogging();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (app.Services.GetRequiredService<SimulatedSides>().Any)
        {
            app.UseMiddleware<SimulatedModeHeaderMiddleware>();
        }

        app.UseOpenApiDocument();
        app.UseApiSecurity();
        app.UseMiddleware<QuotaHeadersMiddleware>();
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        app.MapHealthEndpoints();
        app.MapControllers();
        app.MapOpenAICompatibleEndpoints();
        app.MapMcpTools();
        return app;
    }
}
