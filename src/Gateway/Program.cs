using Wrapper.Gateway;

try
{
    var app = GatewayApp.Build(GatewayApp.CreateBuilder(args));
    await app.RunAsync();
    return 0;
}
catch (GatewayConfigurationException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 2;
}

/// <summary>The entry point.</summary>
public partial class Program;
