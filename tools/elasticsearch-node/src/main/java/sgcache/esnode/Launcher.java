package sgcache.esnode;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.transport.TransportAddress;
import org.elasticsearch.env.Environment;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.node.EmbeddedElasticsearch;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.TransportService;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import sgcache.nodelauncher.NodeLauncher;

/**
 * Starts one real Elasticsearch node (8.19; 9.5 with the es9 profile) inside this JVM, for
 * sgcache's tests, benchmarks and demo. The command line, the watchers and the READY line
 * are NodeLauncher's (shared with the OpenSearch launcher); this class builds the node. See
 * tools/elasticsearch-node/README.md and scripts/search-node.
 */
public final class Launcher implements NodeLauncher.Engine {

    /**
     * What a distribution loads from modules/ that sgcache needs and Maven Central publishes:
     * the HTTP transport, and GET / (rest-root is not published; RootPlugin stands in).
     * analysis-common, mapper-extras, reindex, lang-painless are not published either: see
     * the README for what a node without them lacks.
     */
    private static List<Class<? extends Plugin>> pluginClasses() {
        return List.of(Netty4Plugin.class, RootPlugin.class);
    }

    public static void main(String[] args) {
        NodeLauncher.main(args, new Launcher());
    }

    @Override public String launcherName() { return "elasticsearch-node launcher"; }
    @Override public String mainClass() { return Launcher.class.getName(); }
    @Override public String rootPackage() { return "org.elasticsearch"; }
    @Override public String managerRole() { return "master"; }
    @Override public String initialManagersSetting() { return "cluster.initial_master_nodes"; }
    @Override public String defaultReplicasHelp() {
        return "ignored: Elasticsearch has no cluster-wide default (sgcache sets replicas on every index)";
    }

    @Override
    @SuppressWarnings("unchecked")
    public NodeLauncher.Started start(Map<String, Object> settings, NodeLauncher.Options o, Path config,
                                      Consumer<NodeLauncher.Started> built) throws Exception {
        Settings.Builder sb = Settings.builder();
        settings.forEach((k, v) -> {
            if (v instanceof List) sb.putList(k, (List<String>) v); else sb.put(k, (String) v);
        });
        Environment env = InternalSettingsPreparer.prepareEnvironment(sb.build(), Collections.emptyMap(), config, () -> o.nodeName);
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(o.nodeName);
        // true: keep the console appender (false removes it, and the node logs nowhere).
        LogConfigurator.configure(env, true);

        Node n = new EmbeddedElasticsearch(env, pluginClasses());
        NodeLauncher.Started started = new NodeLauncher.Started() {
            @Override public String httpAddress() { return http().getAddress(); }
            @Override public int httpPort() { return http().getPort(); }
            @Override public int transportPort() {
                return n.injector().getInstance(TransportService.class).boundAddress().publishAddress().getPort();
            }
            @Override public boolean close(long seconds) throws Exception {
                n.close();
                return n.awaitClose(seconds, TimeUnit.SECONDS);
            }
            private TransportAddress http() {
                return n.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
            }
        };
        built.accept(started);
        n.start();
        return started;
    }

    private Launcher() {}
}
